import Foundation
import Media
import RecorderCore
import XCTest

/// Sources of different formats mixed into one 48 kHz stereo track.
final class AudioMixerTests: XCTestCase {
    /// The power of `frequency` in `samples` (Goertzel), normalised so a full-scale sine gives about 0.25.
    private func power(of frequency: Double, in samples: ArraySlice<Float>) -> Double {
        let coefficient = 2 * cos(2 * .pi * frequency / 48_000)
        var s1 = 0.0, s2 = 0.0
        for sample in samples {
            let s0 = Double(sample) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let n = Double(samples.count)
        return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (n * n)
    }

    func testTonesOfDifferentFormatsAreMixedWithoutClippingAndAMissingSourceStallsNothing() throws {
        let origin = MonotonicInstant(nanoseconds: 1_000_000_000)
        let mixer = AudioMixer(origin: origin, frameSize: 1024)
        try mixer.join("room-mic")      // 44.1 kHz mono, signed 16-bit
        try mixer.join("participant")   // 48 kHz stereo float
        try mixer.join("never-speaks")   // joins, sends nothing
        var left: [Float] = []
        var sent44 = 0, sent48 = 0
        for step in 1...300 {  // 3 s in 10 ms steps
            let now = origin.advanced(by: Double(step) / 100)
            while Double(sent44) / 44_100 < now.seconds(since: origin) {
                let period = try MediaFrame.audio(samples: 441, sampleRate: 44_100, channels: 1, format: .s16,
                                                  capturedAt: origin.advanced(by: Double(sent44) / 44_100))
                period.withInterleavedInt16 { for i in 0..<$0.count { $0[i] = Int16(0.6 * 32767 * sin(2 * .pi * 440 * Double(sent44 + i) / 44_100)) } }
                try mixer.deliver(period, from: "room-mic")
                sent44 += 441
            }
            // The participant is in the mix for the first two seconds only.
            while step <= 200, Double(sent48) / 48_000 < now.seconds(since: origin) {
                let period = try MediaFrame.audio(samples: 480, capturedAt: origin.advanced(by: Double(sent48) / 48_000))
                period.withChannel(0) { for i in 0..<$0.count { $0[i] = Float(0.6 * sin(2 * .pi * 660 * Double(sent48 + i) / 48_000)) } }
                period.withChannel(1) { for i in 0..<$0.count { $0[i] = Float(0.6 * sin(2 * .pi * 660 * Double(sent48 + i) / 48_000)) } }
                try mixer.deliver(period, from: "participant")
                sent48 += 480
            }
            if step == 200 { mixer.leave("participant") }
            // The pipeline mixes up to 100 ms ago.
            for block in try mixer.mix(until: now.advanced(by: -0.1)) {
                XCTAssertEqual(block.capturedAt.seconds(since: origin), Double(left.count) / 48_000, accuracy: 1e-9, "blocks follow each other")
                block.withChannel(0) { left.append(contentsOf: $0) }
            }
        }
        XCTAssertGreaterThan(left.count, Int(2.8 * 48_000), "the silent source did not hold the mix up")
        XCTAssertLessThanOrEqual(left.map(abs).max() ?? 0, 0.9801, "the limiter keeps the sum (up to 1.2) under the ceiling")
        let both = left[24_000..<72_000]
        XCTAssertGreaterThan(power(of: 440, in: both), 0.02, "the microphone is in the mix")
        XCTAssertGreaterThan(power(of: 660, in: both), 0.02, "the participant is in the mix")
        let after = left[(2 * 48_000 + 9_600)...]
        XCTAssertEqual(Double(after.map(abs).max() ?? 0), 0.6, accuracy: 0.02, "mono at full level on each side")
        XCTAssertGreaterThan(power(of: 440, in: after), 0.05)
        XCTAssertLessThan(power(of: 660, in: after), 0.0005, "gone when it left")
        XCTAssertEqual(mixer.lateSeconds, 0)
    }
}
