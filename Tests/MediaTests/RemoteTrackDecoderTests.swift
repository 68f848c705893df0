import Foundation
import Media
import RecorderCore
import TestSupport
import XCTest

/// A participant's VP8 and H.264 as the session delivers them (one frame per packet), made by the ffmpeg command
/// line from a known colour and decoded by RemoteTrackDecoder.
final class RemoteTrackDecoderTests: XCTestCase {
    /// Frames of a 320×240 orange picture encoded by ffmpeg, split as the transport hands them over.
    private func frames(codec: String) throws -> [[UInt8]] {
        switch codec {
        case "vp8":
            // IVF: a 32-byte file header, then each frame behind a 12-byte header that starts with its size.
            let file = try ProcessRunner.runData("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=c=0xd07020:s=320x240:r=15:d=1",
                                                                   "-c:v", "libvpx", "-f", "ivf", "-"])
            var frames: [[UInt8]] = []
            var offset = 32
            while offset + 12 <= file.count {
                let size = Int(file[offset]) | Int(file[offset + 1]) << 8 | Int(file[offset + 2]) << 16 | Int(file[offset + 3]) << 24
                frames.append(Array(file[(offset + 12)..<(offset + 12 + size)]))
                offset += 12 + size
            }
            return frames
        default:
            // Annex B without B-frames, as WebRTC senders make it, one access unit per frame: split before each access
            // unit delimiter.
            let stream = [UInt8](try ProcessRunner.runData("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=c=0xd07020:s=320x240:r=15:d=1",
                                                                                "-c:v", "libx264", "-tune", "zerolatency", "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", "-"]))
            var starts: [Int] = []
            var i = 0
            while i + 4 < stream.count {
                if stream[i] == 0, stream[i + 1] == 0, stream[i + 2] == 0, stream[i + 3] == 1, stream[i + 4] & 0x1f == 9 { starts.append(i) }
                i += 1
            }
            return zip(starts, starts.dropFirst() + [stream.count]).map { Array(stream[$0..<$1]) }
        }
    }

    func testAParticipantsVideoDecodesToItsPictures() throws {
        for codec in ["vp8", "h264"] {
            let packets = try frames(codec: codec)
            XCTAssertEqual(packets.count, 15, codec)
            let decoder = try RemoteTrackDecoder(codec: codec)
            var pictures: [MediaFrame] = []
            let start = MonotonicInstant.now()
            for (n, packet) in packets.enumerated() {
                pictures += try decoder.decode(packet, arrivedAt: start.advanced(by: Double(n) / 15))
            }
            XCTAssertGreaterThanOrEqual(pictures.count, 14, "\(codec): every frame, a low-delay decoder holding none back for long")
            let last = try XCTUnwrap(pictures.last, codec)
            XCTAssertEqual(last.width, 320, codec)
            XCTAssertEqual(last.height, 240, codec)
            // Orange in limited-range BT.601 luma is about 131.
            last.withRawPlane(0) { luma, _ in XCTAssertEqual(Double(luma[luma.count / 2]), 131, accuracy: 6, codec) }
            XCTAssertEqual(try decoder.decode([0x00, 0x01, 0x02], arrivedAt: start).count, 0, "\(codec): a corrupt packet is skipped")
        }
    }

    func testAnUnknownCodecIsRefused() {
        XCTAssertThrowsError(try RemoteTrackDecoder(codec: "av1"))
    }
}
