import Capture
import Foundation
import Media
import RecorderCore
import Synchronization
import TestSupport
import XCTest

/// The ALSA microphone reading a real capture PCM: ALSA's file plugin playing a known sweep.
final class ALSAMicrophoneTests: XCTestCase {
    func testReadsTheDevicesSoundInRealTimeStampedOnTheClock() throws {
        let files = try TemporaryDirectory(prefix: "alsa")
        let sweep = (0..<(4 * 48_000)).map { n in
            let t = Double(n) / 48_000
            return 0.5 * sin(2 * .pi * (300 * t + 337.5 * t * t))
        }
        let pcm = try ALSAFilePCM(samples: sweep, in: files.path)
        setenv("ALSA_CONFIG_PATH", pcm.configPath, 1)
        defer { unsetenv("ALSA_CONFIG_PATH") }

        let microphone = ALSAMicrophone(name: pcm.name)
        let stop = Atomic(false)
        var frames: [MediaFrame] = []
        var events: [CaptureEvent] = []
        let started = MonotonicInstant.now()
        let stopper = Thread { Thread.sleep(forTimeInterval: 1.5); stop.store(true, ordering: .relaxed) }
        stopper.start()
        try microphone.run(deliver: { frames.append($0) }, events: { events.append($0) }, stop: stop)
        let elapsed = MonotonicInstant.now().seconds(since: started)

        print("events: \(events); \(frames.count) periods in \(elapsed) s")
        let samples = frames.reduce(0) { $0 + $1.sampleCount }
        XCTAssertEqual(Double(samples) / 48_000, elapsed, accuracy: 0.1, "paced to the clock, not read as fast as the file allows")
        for (a, b) in zip(frames, frames.dropFirst()) {
            XCTAssertEqual(b.capturedAt.seconds(since: a.capturedAt), Double(a.sampleCount) / 48_000, accuracy: 0.005, "stamped on the clock")
        }
        // The sweep as captured, and through the mixer as the pipeline hears it: in phase with the sweep in
        // every 125 ms window (a dropped, repeated or stretched sample would shift the phase of its rising pitch).
        var captured: [Float] = []
        for frame in frames {
            frame.withInterleavedBytes { raw in
                let samples = raw.bindMemory(to: Int32.self)
                for i in stride(from: 0, to: samples.count, by: 2) { captured.append(Float(samples[i]) / 2_147_483_648) }
            }
        }
        let mixer = AudioMixer(origin: frames[0].capturedAt, frameSize: 1024)
        try mixer.join("microphone")
        var mixed: [Float] = []
        for frame in frames { try mixer.deliver(frame, from: "microphone") }
        for block in try mixer.mix(until: frames.last!.capturedAt) { block.withChannel(0) { mixed.append(contentsOf: $0) } }
        for (name, signal) in [("captured", captured), ("mixed", mixed)] {
            let windows = Self.phaseMatch(signal, seconds: 1)
            XCTAssertTrue(windows.allSatisfy { $0 > 0.99 }, "\(name): \(windows)")
        }
    }

    func testAMicrophoneThatIsGoneIsOpenedAgainWhenItComesBack() throws {
        let files = try TemporaryDirectory(prefix: "alsa")
        let pcm = try ALSAFilePCM(samples: (0..<(4 * 48_000)).map { 0.5 * sin(2 * .pi * 440 * Double($0) / 48_000) }, in: files.path)
        setenv("ALSA_CONFIG_PATH", pcm.configPath, 1)
        defer { unsetenv("ALSA_CONFIG_PATH") }
        // Unplugged: the device's sound is not there.
        let raw = "\(files.path)/\(pcm.name).raw"
        try FileManager.default.moveItem(atPath: raw, toPath: raw + ".away")

        let microphone = ALSAMicrophone(name: pcm.name)
        XCTAssertThrowsError(try microphone.check()) { error in
            XCTAssertTrue("\(error)".contains("microphone \(pcm.name)"), "the error names the device: \(error)")
        }
        let stop = Atomic(false)
        let log = Mutex<(events: [CaptureEvent], periods: [MonotonicInstant])>(([], []))
        let plugger = Thread {
            Thread.sleep(forTimeInterval: 1.2)
            try? FileManager.default.moveItem(atPath: raw + ".away", toPath: raw)  // plugged back in
            Thread.sleep(forTimeInterval: 1.8)
            stop.store(true, ordering: .relaxed)
        }
        let pluggedAt = MonotonicInstant.now().advanced(by: 1.2)
        plugger.start()
        try microphone.run(deliver: { frame in log.withLock { $0.periods.append(frame.capturedAt) } },
                           events: { event in log.withLock { $0.events.append(event) } }, stop: stop)
        let (events, periods) = log.withLock { ($0.events, $0.periods) }
        guard events.count == 2, case .lost(let why) = events[0], case .recovered(let back) = events[1] else {
            return XCTFail("expected lost, then back: \(events)")
        }
        XCTAssertTrue(why.contains("microphone \(pcm.name)"), why)
        XCTAssertTrue(back.contains(pcm.name), back)
        let first = try XCTUnwrap(periods.first)
        XCTAssertGreaterThan(first.seconds(since: pluggedAt), -0.05, "nothing before it was back")
        XCTAssertLessThan(first.seconds(since: pluggedAt), 1.1, "reopened within about a second")
        XCTAssertGreaterThan(periods.count, 50, "and it records again")
    }

    /// The normalised correlation with the sweep of each 125 ms window of the first `seconds` of `signal`.
    static func phaseMatch(_ signal: [Float], seconds: Double) -> [Float] {
        stride(from: 0, to: Int(seconds * 48_000), by: 6_000).map { start in
            var dot: Float = 0, energy: Float = 0, reference: Float = 0
            for i in start..<min(start + 6_000, signal.count) {
                let t = Double(i) / 48_000
                let y = Float(0.5 * sin(2 * .pi * (300 * t + 337.5 * t * t)))
                dot += signal[i] * y
                energy += signal[i] * signal[i]
                reference += y * y
            }
            return dot / max(1e-9, (energy * reference).squareRoot())
        }
    }
}
