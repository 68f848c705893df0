import CFFmpeg
import Foundation
import Media
import RecorderCore
import XCTest

final class CameraDecoderTests: XCTestCase {
    /// A driver that pads each line (bytesperline 16 for a 4-pixel YUYV line of 8 bytes): the picture is read
    /// with its stride, not sheared.
    func testRawPicturesAreReadWithTheDriversStride() throws {
        let decoder = try CameraDecoder(mode: CameraMode("YUYV", 4, 2, fps: 30))
        var buffer = [UInt8](repeating: 0xEE, count: 32)  // padding is 0xEE
        for x in 0..<4 {
            buffer[x * 2] = 200; buffer[x * 2 + 1] = 128              // line 0: Y 200
            buffer[16 + x * 2] = 50; buffer[16 + x * 2 + 1] = 128     // line 1: Y 50
        }
        let frame = try XCTUnwrap(try buffer.withUnsafeBytes { (bytes) throws(FFmpegError) in
            try decoder.decode(bytes, capturedAt: .now(), bytesPerLine: 16)
        })
        XCTAssertEqual(frame.width, 4)
        let lines = frame.withRawPlane(0) { plane, stride in [Array(plane.prefix(8)), Array(plane[stride..<(stride + 8)])] }
        XCTAssertEqual(lines[0], [200, 128, 200, 128, 200, 128, 200, 128])
        XCTAssertEqual(lines[1], [50, 128, 50, 128, 50, 128, 50, 128], "the second line starts after the padding")
        XCTAssertNil(try [UInt8](repeating: 0, count: 20).withUnsafeBytes { (bytes) throws(FFmpegError) in
            try decoder.decode(bytes, capturedAt: .now(), bytesPerLine: 16)
        }, "a short buffer is skipped")
    }
}
