import Foundation
import Media
import RecorderCore
import XCTest

/// libswresample stretching a fast sound card's audio back onto the clock.
final class AudioClockCorrectorTests: XCTestCase {
    func testAFastCardIsSqueezedOntoTheClockWithoutCuts() throws {
        // A card 500 ppm fast (exaggerated, so two minutes show what a day would): uncorrected, its audio
        // would run 60 ms ahead by the end, almost two video frames.
        let ppm = 500.0
        let cardRate = 48_000 * (1 + ppm / 1e6)
        let corrector = try AudioClockCorrector(frameSize: 1024)
        let origin = MonotonicInstant(nanoseconds: 1_000_000_000)
        let toneHz = 1000.0
        var output: [Float] = []
        var lastStamp = origin
        var deviceSamples = 0
        while Double(deviceSamples) / cardRate < 120 {
            let period = try MediaFrame.audio(samples: 1024, capturedAt: origin.advanced(by: Double(deviceSamples) / cardRate))
            // The tone as the card samples it: at its own rate.
            period.withChannel(0) { left in
                for i in 0..<left.count { left[i] = Float(0.5 * sin(2 * .pi * toneHz * Double(deviceSamples + i) / cardRate)) }
                period.withChannel(1) { right in for i in 0..<right.count { right[i] = left[i] } }
            }
            for frame in try corrector.push(period) {
                XCTAssertEqual(frame.sampleCount, 1024)
                lastStamp = frame.capturedAt
                frame.withChannel(0) { output.append(contentsOf: $0) }
            }
            deviceSamples += 1024
        }
        let elapsed = Double(deviceSamples) / cardRate
        let drift = Double(output.count) / 48_000 - elapsed
        XCTAssertLessThan(abs(drift), 0.005, "the audio that went out matches the clock (it was \(drift) s off)")
        XCTAssertEqual(lastStamp.seconds(since: origin), Double(output.count - 1024) / 48_000, accuracy: 1e-6, "stamped by the samples gone out")
        XCTAssertEqual(Double(corrector.samplesCorrected), -ppm * 1e-6 * elapsed * 48_000, accuracy: 100)

        // Resampled, not cut: the tone goes on smoothly (a dropped or repeated sample would jump) at its pitch.
        let steady = output.dropFirst(4800)
        let largestStep = zip(steady, steady.dropFirst()).map { abs($1 - $0) }.max() ?? 0
        let smoothStep = Float(0.5 * 2 * .pi * toneHz / 48_000)
        XCTAssertLessThan(largestStep, smoothStep * 1.05, "no cut or repeat in the waveform")
        var crossings = 0
        for (a, b) in zip(steady, steady.dropFirst()) where a < 0 && b >= 0 { crossings += 1 }
        let seconds = Double(steady.count) / 48_000
        XCTAssertEqual(Double(crossings) / seconds, toneHz * (1 + ppm / 1e6) * 48_000 / cardRate, accuracy: 1, "the pitch is the card's")
    }
}

extension AudioClockCorrectorTests {
    /// A microphone unplugged for three seconds and plugged back: its audio starts again at the instant it was
    /// captured, not three seconds late.
    func testASourceThatJumpsStartsItsTimelineAgain() throws {
        let corrector = try AudioClockCorrector(frameSize: 1024)
        let origin = MonotonicInstant(nanoseconds: 1_000_000_000)
        var stamps: [MonotonicInstant] = []
        func feed(from start: Double, seconds: Double) throws {
            for period in 0..<Int(seconds * 100) {
                let frame = try MediaFrame.audio(samples: 480, capturedAt: origin.advanced(by: start + Double(period) / 100))
                frame.withChannel(0) { $0.update(repeating: 0.1) }
                frame.withChannel(1) { $0.update(repeating: 0.1) }
                stamps += try corrector.push(frame).map(\.capturedAt)
            }
        }
        try feed(from: 0, seconds: 1)
        let before = stamps.count
        try feed(from: 4, seconds: 1)
        let resumed = try XCTUnwrap(stamps.dropFirst(before).first)
        XCTAssertEqual(resumed.seconds(since: origin), 4, accuracy: 0.03, "the first frame after the gap is stamped where it was captured")
    }
}
