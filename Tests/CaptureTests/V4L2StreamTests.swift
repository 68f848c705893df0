import Capture
import CV4L2
import RecorderCore
import TestSupport
import XCTest

/// V4L2 streaming against a scripted driver: the ioctls in the order a camera's driver needs them, the buffer
/// ring (every buffer handed back after its frame), corrupted buffers, and a camera unplugged mid-stream.
final class V4L2StreamTests: XCTestCase {
    private let mode = CameraMode("MJPG", 1920, 1080, fps: 30)

    private func frames(_ count: Int, corrupted: Set<Int> = []) -> [ScriptedV4L2Driver.Frame] {
        (0..<count).map { n in
            ScriptedV4L2Driver.Frame(bytes: [0xFF, 0xD8, UInt8(n), 0xFF, 0xD9], corrupted: corrupted.contains(n),
                                     timestamp: 5_000_000_000 + Int64(n) * 33_333_000)  // timeval has microseconds
        }
    }

    /// Reads until a poll times out; returns the frames' third bytes and capture instants.
    private func readAll(_ stream: V4L2Stream) throws -> [(marker: UInt8, at: MonotonicInstant)] {
        var seen: [(UInt8, MonotonicInstant)] = []
        while try stream.next(timeout: 0.01, { bytes, instant in seen.append((bytes[2], instant)) }) {}
        return seen
    }

    func testStreamsWithTheIoctlsInOrderAndGivesEveryBufferBack() throws {
        let driver = ScriptedV4L2Driver(frames: frames(10))
        driver.bytesPerLine = 3840
        let stream = try V4L2Stream(path: "/dev/video0", mode: mode, driver: driver)
        XCTAssertEqual(stream.bytesPerLine, 3840, "the driver's stride is kept")
        XCTAssertEqual(driver.calls, ["open /dev/video0", "S_FMT 1920x1080 MJPG", "S_PARM 1000/30000", "REQBUFS 4",
                                      "QUERYBUF 0", "mmap 0", "QBUF 0", "QUERYBUF 1", "mmap 1", "QBUF 1",
                                      "QUERYBUF 2", "mmap 2", "QBUF 2", "QUERYBUF 3", "mmap 3", "QBUF 3", "STREAMON"])

        let seen = try readAll(stream)
        XCTAssertEqual(seen.map(\.marker), Array(0..<10), "ten frames, in order, through a ring of four buffers")
        XCTAssertEqual(seen.first?.at, MonotonicInstant(nanoseconds: 5_000_000_000), "the driver's capture instant")
        XCTAssertEqual(seen.last?.at, MonotonicInstant(nanoseconds: 5_000_000_000 + 9 * 33_333_000))
        let streaming = driver.calls.drop { $0 != "STREAMON" }.dropFirst()
        XCTAssertEqual(Array(streaming), (0..<10).flatMap { ["DQBUF \($0 % 4)", "QBUF \($0 % 4)"] },
                       "each buffer is queued again as soon as its frame was handed over")

        stream.stop()
        XCTAssertEqual(Array(driver.calls.suffix(6)), ["STREAMOFF", "munmap 0", "munmap 1", "munmap 2", "munmap 3", "close"])
        stream.stop()
        XCTAssertEqual(driver.calls.last, "close", "stopping twice releases nothing twice")
    }

    func testACorruptedBufferIsSkippedButGivenBack() throws {
        let driver = ScriptedV4L2Driver(frames: frames(5, corrupted: [2]))
        let stream = try V4L2Stream(path: "/dev/video0", mode: mode, driver: driver)
        XCTAssertEqual(try readAll(stream).map(\.marker), [0, 1, 3, 4])
        XCTAssertTrue(driver.calls.contains("QBUF 2") && driver.calls.filter { $0 == "QBUF 2" }.count == 2, "queued at start and after the bad frame")
    }

    func testACameraUnpluggedMidStreamSaysSo() throws {
        for ending in [ScriptedV4L2Driver.Ending.unpluggedAtDequeue, .unpluggedAtPoll] {
            let driver = ScriptedV4L2Driver(frames: frames(3), ending: ending)
            let stream = try V4L2Stream(path: "/dev/v4l/by-id/usb-Logitech_C920-video-index0", mode: mode, driver: driver)
            var delivered = 0
            XCTAssertThrowsError(try { while try stream.next(timeout: 0.01, { _, _ in delivered += 1 }) {} }()) { error in
                let failure = error as? V4L2Error
                XCTAssertEqual(failure?.code, ENODEV, "\(ending): \(error)")
                XCTAssertTrue("\(error)".contains("usb-Logitech_C920"), "the error names the device: \(error)")
            }
            XCTAssertEqual(delivered, 3, "\(ending): the frames before it were delivered")
            stream.stop()
            XCTAssertEqual(driver.calls.last, "close")
        }
    }

    func testADriverThatAnswersAnotherFormatIsRefusedAndReleased() {
        let driver = ScriptedV4L2Driver(frames: [])
        driver.answeredFormat = (1280, 720, "YUYV")
        XCTAssertThrowsError(try V4L2Stream(path: "/dev/video0", mode: mode, driver: driver)) { error in
            XCTAssertTrue("\(error)".contains("the driver gave YUYV 1280x720"), "\(error)")
        }
        XCTAssertEqual(driver.calls, ["open /dev/video0", "S_FMT 1920x1080 MJPG", "close"], "nothing else asked, the device closed")
    }

    func testFewerBuffersThanAskedForAreUsed() throws {
        let driver = ScriptedV4L2Driver(frames: frames(4))
        driver.buffersGranted = 2
        let stream = try V4L2Stream(path: "/dev/video0", mode: mode, driver: driver)
        XCTAssertEqual(try readAll(stream).map(\.marker), [0, 1, 2, 3])
        XCTAssertFalse(driver.calls.contains("QUERYBUF 2"))
    }
}
