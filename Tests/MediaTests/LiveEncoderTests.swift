import Foundation
import Media
import RecorderCore
import TestSupport
import XCTest

/// The session's encodes of the room: a 1080p picture published as 1280x720 constrained-baseline H.264 that
/// another decoder takes frame by frame, keyframes when a receiver asks, a bitrate that follows the estimate, and
/// the sound as Opus that decodes back to its tone.
final class LiveEncoderTests: XCTestCase {
    private func pictures(_ description: String, count: Int) throws -> [MediaFrame] {
        let source = try FilterGraphSource(description: description)
        let start = MonotonicInstant.now()
        return try (0..<count).map { try source.nextFrame(capturedAt: start.advanced(by: Double($0) / 30)) }
    }

    func testTheRoomsPictureFitsTheSizeDecodesFrameByFrameAndIsAKeyframeWhenAsked() throws {
        let encoder = try LiveVideoEncoder(maxWidth: 1280, maxHeight: 720)
        var units: [LocalMediaFrame] = []
        for (index, picture) in try pictures("color=c=0xd07020:s=1920x1080:r=30,format=yuv420p", count: 45).enumerated() {
            let encoded = try encoder.encode(picture, bitrateKbps: 1500, keyframe: index == 0 || index == 20)
            XCTAssertEqual(encoded.count, 1, "one access unit per picture, with no delay (frame \(index))")
            units += encoded
        }
        XCTAssertEqual(encoder.size?.width, 1280)
        XCTAssertEqual(encoder.size?.height, 720)
        XCTAssertEqual(units.indices.filter { units[$0].keyframe }, [0, 20], "keyframes where asked, none elsewhere within two seconds")

        let decoder = try RemoteTrackDecoder(codec: "h264")
        var decoded: [MediaFrame] = []
        for unit in units { decoded += try decoder.decode(unit.data, arrivedAt: .now()) }
        XCTAssertEqual(decoded.count, 45, "each access unit is a whole picture")
        let last = try XCTUnwrap(decoded.last)
        XCTAssertEqual([last.width, last.height], [1280, 720])
        let centre = last.withRawPlane(0) { plane, stride in plane[360 * stride + 640] }
        XCTAssertEqual(Double(centre), 129, accuracy: 10, "the orange's brightness")

        // The stream says what it is: constrained baseline, SPS and PPS in band (ffprobe reads it from a raw file).
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).h264")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(units.flatMap(\.data)).write(to: file)
        let profile = try ProcessRunner.run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=profile,level",
                                                                "-of", "csv=p=0", file.path]).stdout
        XCTAssertEqual(profile.trimmingCharacters(in: .whitespacesAndNewlines), "Constrained Baseline,31")
    }

    func testTheBitrateFollowsTheEstimate() throws {
        let encoder = try LiveVideoEncoder()
        let moving = try pictures("testsrc2=s=1280x720:r=30,format=yuv420p", count: 180)
        var bytes = (full: 0, limited: 0)
        for (index, picture) in moving.enumerated() {
            let limited = index >= 90
            let size = try encoder.encode(picture, bitrateKbps: limited ? 300 : 1500, keyframe: index == 0).reduce(0) { $0 + $1.data.count }
            // The first second after each change lets the rate control settle: the last two seconds of each half count.
            if index % 90 >= 30 { if limited { bytes.limited += size } else { bytes.full += size } }
        }
        let (full, limited) = (Double(bytes.full) * 8 / 2 / 1000, Double(bytes.limited) * 8 / 2 / 1000)
        XCTAssertEqual(full, 1500, accuracy: 450, "kbit/s at 1500")
        XCTAssertEqual(limited, 300, accuracy: 120, "kbit/s after the estimate fell to 300")
    }

    func testTheRoomsSoundIsOpusThatDecodesToItsTone() throws {
        let encoder = try LiveAudioEncoder(bitrateKbps: 64)
        var packets: [LocalMediaFrame] = []
        let start = MonotonicInstant.now()
        for block in 0..<50 {
            let frame = try MediaFrame.audio(samples: LiveAudioEncoder.frameSize, capturedAt: start.advanced(by: Double(block) * 0.02))
            for channel in 0..<2 {
                frame.withChannel(channel) { samples in
                    for i in 0..<samples.count {
                        samples[i] = Float(0.3 * sin(2 * Double.pi * 440 * Double(block * LiveAudioEncoder.frameSize + i) / 48_000))
                    }
                }
            }
            packets += try encoder.encode(frame)
        }
        XCTAssertGreaterThanOrEqual(packets.count, 48, "20 ms packets (the encoder holds back a few)")
        XCTAssertTrue(packets.allSatisfy { $0.kind == .audio && abs($0.duration - 0.02) < 1e-9 })
        let kbps = Double(packets.reduce(0) { $0 + $1.data.count }) * 8 / (Double(packets.count) * 0.02) / 1000
        XCTAssertEqual(kbps, 64, accuracy: 16, "near the bitrate asked")
        let decoder = try RemoteTrackDecoder(codec: "opus")
        var samples: [Float] = []
        for packet in packets {
            for frame in try decoder.decode(packet.data, arrivedAt: .now()) { samples += frame.withChannel(0) { Array($0) } }
        }
        XCTAssertGreaterThan(samples.count, 45_000)
        func power(_ hz: Double) -> Double {
            let coefficient = 2 * cos(2 * Double.pi * hz / 48_000)
            var (previous, beforePrevious) = (0.0, 0.0)
            for sample in samples.dropFirst(2_000) {
                (beforePrevious, previous) = (previous, Double(sample) + coefficient * previous - beforePrevious)
            }
            return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
        }
        XCTAssertGreaterThan(power(440), 1_000 * power(2_500), "the tone, and nothing else")
    }
}
