import Capture
import RecorderCore
import TestSupport
import XCTest

/// The mode chosen for each camera recorded in Tests/Fixtures/v4l2/ (real `v4l2-ctl --list-formats-ext` output),
/// through the same CameraDevice interface the real V4L2 camera implements.
final class CameraModeChoiceTests: XCTestCase {
    private func choice(_ fixture: String) throws -> (mode: CameraMode, reason: String) {
        let camera = try ScriptedCamera(fixture: fixture)
        let chosen = try camera.chooseMode()
        print("\(fixture): \(chosen.mode) — \(chosen.reason)")
        return chosen
    }

    func testLogitechC920RecordsMJPEG1080p30RatherThanYUYVAtFiveFramesASecond() throws {
        let (mode, reason) = try choice("logitech-c920.txt")
        XCTAssertEqual(mode, CameraMode("MJPG", 1920, 1080, fps: 30))
        XCTAssertEqual(reason, "exactly 1920x1080; MJPEG over H264", "MJPEG, not its own H.264 nor YUYV at 5 fps")
    }

    func testLogitechC310RecordsMJPEG720p30ItsLargest16By9ModeAtFullRate() throws {
        let (mode, _) = try choice("logitech-c310.txt")
        XCTAssertEqual(mode, CameraMode("MJPG", 1280, 720, fps: 30))
    }

    func testTheParserReadsBothStylesOfV4l2ctlOutput() throws {
        // New style ("[2]: 'MJPG'") and old style ("Pixel Format: 'MJPG' (compressed)"), as the two fixtures are.
        let c920 = try ScriptedCamera(fixture: "logitech-c920.txt").modes()
        XCTAssertTrue(c920.contains(CameraMode("YUYV", 1920, 1080, fps: 5)))
        XCTAssertTrue(c920.contains(CameraMode("H264", 1920, 1080, fps: 30)))
        let c310 = try ScriptedCamera(fixture: "logitech-c310.txt").modes()
        XCTAssertTrue(c310.contains(CameraMode("YUYV", 1280, 720, fps: 7.5)))
        XCTAssertEqual(Set(c310.map(\.pixelFormat)), ["YUYV", "MJPG"])
    }

    func testAnUnpluggedCameraAndOneWithoutAUsableFormatSayWhatIsWrong() throws {
        var unplugged = try ScriptedCamera(fixture: "logitech-c920.txt")
        unplugged.failure = ENODEV
        XCTAssertThrowsError(try unplugged.chooseMode()) { error in
            XCTAssertTrue("\(error)".contains("its formats cannot be read: VIDIOC_ENUM_FMT on /dev/v4l/by-id/logitech-c920: No such device"), "\(error)")
        }
        XCTAssertNil(CameraModeChoice.choose(from: [CameraMode("BA81", 640, 480, fps: 30)]), "a Bayer-only sensor is not usable as is")
    }

    func testTheRulesOnModesNoCameraHereHas() {
        // Raw beats MJPEG when both run 1080p30; 4K is scaled down rather than 720p up; 25 fps counts as full.
        let raw = CameraModeChoice.choose(from: [CameraMode("MJPG", 1920, 1080, fps: 30), CameraMode("NV12", 1920, 1080, fps: 30)])
        XCTAssertEqual(raw?.mode.pixelFormat, "NV12")
        XCTAssertEqual(raw?.reason, "exactly 1920x1080; raw NV12, no decoding")
        let uhd = CameraModeChoice.choose(from: [CameraMode("MJPG", 3840, 2160, fps: 30), CameraMode("MJPG", 1280, 720, fps: 30)])
        XCTAssertEqual(uhd?.mode, CameraMode("MJPG", 3840, 2160, fps: 30))
        let pal = CameraModeChoice.choose(from: [CameraMode("YUYV", 1920, 1080, fps: 25), CameraMode("MJPG", 1280, 720, fps: 30)])
        XCTAssertEqual(pal?.mode, CameraMode("YUYV", 1920, 1080, fps: 25))
        let sixty = CameraModeChoice.choose(from: [CameraMode("MJPG", 1920, 1080, fps: 60), CameraMode("MJPG", 1920, 1080, fps: 30)])
        XCTAssertEqual(sixty?.mode.framesPerSecond, 30)
    }
}
