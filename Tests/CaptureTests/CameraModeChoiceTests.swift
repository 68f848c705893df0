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

    func testEveryRecordedCameraGetsTheModeAPersonWouldChoose() throws {
        let expected: [String: CameraMode] = [
            // A 4K webcam offering 1080p at 30 and 60 fps in MJPEG, YUYV and H.264: raw YUYV at 30, not 4K.
            "emeet-smartcam-s800.txt": CameraMode("YUYV", 1920, 1080, fps: 30),
            // A document camera: MJPEG 1080p30, not YUYV at 5 fps nor its 8-megapixel stills mode at 15.
            "ipevo-ziggi-hd-plus.txt": CameraMode("MJPG", 1920, 1080, fps: 30),
            "sunplus-fhd-camera.txt": CameraMode("MJPG", 1920, 1080, fps: 30),
            // YUYV only, at most 640x480: that, scaled up.
            "generic-usb2-camera-yuyv.txt": CameraMode("YUYV", 640, 480, fps: 30),
            // An HDMI capture stick fed 4K: raw NV12, scaled down.
            "elgato-cam-link-4k.txt": CameraMode("NV12", 3840, 2160, fps: 30),
        ]
        for (fixture, mode) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(try choice(fixture).mode, mode, fixture)
        }
        let all = try FileManager.default.contentsOfDirectory(atPath: ScriptedCamera.fixtures.path).filter { $0.hasSuffix(".txt") }
        XCTAssertEqual(Set(all), Set(expected.keys).union(["logitech-c920.txt", "logitech-c310.txt"]), "every fixture has its choice named")
    }

    func testControlNamesAreSpelledAsV4l2ctlSpellsThem() {
        XCTAssertEqual(V4L2Device.controlName("Focus, Absolute"), "focus_absolute")
        XCTAssertEqual(V4L2Device.controlName("White Balance Temperature, Auto"), "white_balance_temperature_auto")
        XCTAssertEqual(V4L2Device.controlName("Focus, Automatic Continuous"), "focus_automatic_continuous")
        XCTAssertEqual(V4L2Device.controlName("Power Line Frequency"), "power_line_frequency")
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
        let unplugged = try ScriptedCamera(fixture: "logitech-c920.txt")
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
