import Foundation
import Media
import RecorderCore
import TestSupport
import XCTest

/// Ten minutes of a flash-and-beep stage through the stage, the compositor, the mixer (with its clock
/// correction) and the writer, on instants of a simulated clock so it runs faster than real time: the camera's
/// frames arrive with jitter, and the sound card runs 100 ppm fast with jittered period timestamps, as real ones
/// do. The file must keep audio and video within a frame of each other at its start and at its end.
final class LongRecordingSyncTests: XCTestCase {
    func testTenMinutesKeepAudioAndVideoWithinAFrameFromStartToEnd() throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("ten-minutes.mp4").path
        let minutes = 10.0
        let origin = MonotonicInstant(nanoseconds: 50_000_000_000)
        var settings = VideoEncoderSettings(preset: "ultrafast", bitrateKbps: 1000)
        (settings.width, settings.height) = (640, 360)  // the timing is what is tested; a smaller canvas keeps it quick
        let writer = try RecordingWriter(path: path, origin: origin, video: settings, audio: AudioEncoderSettings())
        let compositor = try Compositor(width: 640, height: 360, mode: .single)
        let stage = StageInputs()
        stage.join(StageLayout.Source(id: "camera", kind: .roomCamera, width: 320, height: 180))
        let mixer = AudioMixer(origin: origin, frameSize: writer.audioFrameSize)
        try mixer.join("microphone")
        let dark = try FilterGraphSource(description: "color=c=0x303030:s=320x180:r=30,format=yuv420p").nextFrame(capturedAt: origin)
        let white = try FilterGraphSource(description: "color=c=white:s=320x180:r=30,format=yuv420p").nextFrame(capturedAt: origin)
        var jitter = SplitMix(seed: 42)

        let cardRate = 48_000 * (1 + 100e-6)
        var cardSamples = 0
        let frames = Int(minutes * 60 * 30)
        for index in 0..<frames {
            let instant = origin.advanced(by: Double(index) / 30)
            // The camera: the first frame of each second is white; each arrives captured up to ±4 ms off its slot.
            let picture = index % 30 == 0 ? white : dark
            picture.capturedAt = instant.advanced(by: (jitter.nextUnit() - 0.5) * 0.008)
            stage.deliver(picture, from: "camera")
            // The sound card: 10 ms periods of a quiet tone, a beep for the first 50 ms of each of its seconds
            // (counted in its own samples), stamped on the clock with up to ±1 ms of jitter.
            let now = instant.advanced(by: 0.2)
            while Double(cardSamples + 480) / cardRate <= now.seconds(since: origin) {
                let period = try MediaFrame.audio(samples: 480, channels: 1, format: .s16,
                                                  capturedAt: origin.advanced(by: Double(cardSamples) / cardRate + (jitter.nextUnit() - 0.5) * 0.002))
                period.withInterleavedInt16 { samples in
                    for i in 0..<samples.count {
                        let n = cardSamples + i
                        let t = Double(n) / cardRate
                        var value = 0.1 * sin(2 * .pi * 440 * t)
                        if t.truncatingRemainder(dividingBy: 1) < 0.05 { value += 0.5 * sin(2 * .pi * 1000 * t) }
                        samples[i] = Int16(value * 32_767)
                    }
                }
                try mixer.deliver(period, from: "microphone")
                cardSamples += 480
            }
            try writer.consume(video: try compositor.compose(stage.pictures(at: instant, frameInterval: 1.0 / 30), at: instant))
            for block in try mixer.mix(until: instant.advanced(by: 0.1)) { try writer.consume(audio: block) }
        }
        XCTAssertNil(try writer.finish().failure)

        let marks = try AVSyncProbe.marks(in: path)
        let offsets = zip(marks.flashes, marks.offsets).map { (flash: $0, offset: $1) }
        XCTAssertGreaterThan(offsets.count, Int(minutes * 60) - 5, "a flash and a beep every second")
        let start = offsets.prefix(10).map(\.offset)
        let end = offsets.suffix(10).map(\.offset)
        print("A/V offset (s) at the start: \(start.map { String(format: "%+.4f", $0) }.joined(separator: " "))")
        print("A/V offset (s) at the end:   \(end.map { String(format: "%+.4f", $0) }.joined(separator: " "))")
        for offset in start + end { XCTAssertLessThan(abs(offset), 0.033, "within one frame") }
        // Uncorrected, the card's 100 ppm would have put the audio 60 ms ahead by the end.
        XCTAssertLessThan(abs((end.reduce(0, +) / Double(end.count)) - (start.reduce(0, +) / Double(start.count))), 0.01, "no drift")
    }
}
