import Capture
import Foundation
import Media
import RecorderCore
import Synchronization
import TestSupport
import XCTest

/// The room camera through the same device interface a V4L2 camera has: a scripted Logitech C920 streaming
/// real JPEG pictures, unplugged (ENODEV mid-stream) and plugged back in while it records.
final class CameraSourceTests: XCTestCase {
    func testAnUnpluggedCameraShowsTheSlateAndIsBackWithinTwoSecondsOfReturning() throws {
        let camera = try ScriptedCamera(fixture: "logitech-c920.txt", colour: "red")
        let source = CameraSource(device: camera, controls: ["focus_automatic_continuous": 0, "focus_absolute": 30, "zoom_ultra": 5])
        let stage = StageInputs()
        stage.join(StageLayout.Source(id: "camera", kind: .roomCamera, width: 1920, height: 1080))
        let stop = Atomic(false)
        let events = Mutex<[CaptureEvent]>([])
        let arrivals = Mutex<[(at: MonotonicInstant, width: Int, height: Int)]>([])
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            source.run(deliver: { picture in
                arrivals.withLock { $0.append((.now(), picture.width, picture.height)) }
                stage.deliver(picture, from: "camera")
            }, events: { event in events.withLock { $0.append(event) } }, stop: stop)
            done.signal()
        }
        thread.start()
        defer {
            stop.store(true, ordering: .relaxed)
            done.wait()
        }

        Thread.sleep(forTimeInterval: 1.5)
        let streamed = arrivals.withLock { $0 }
        XCTAssertGreaterThan(streamed.count, 30, "about 30 pictures a second")
        XCTAssertTrue(streamed.allSatisfy { $0.width == 1920 && $0.height == 1080 }, "decoded from MJPEG at the chosen mode")

        // Unplugged: no pictures; the stage keeps the last one, then shows the slate after 2 s.
        camera.failure = ENODEV
        let unplugged = MonotonicInstant.now()
        Thread.sleep(forTimeInterval: 1)
        XCTAssertNotNil(stage.pictures(at: .now(), frameInterval: 1.0 / 30)[0].picture, "the last picture stays up at first")
        Thread.sleep(forTimeInterval: 1.6)
        XCTAssertNil(stage.pictures(at: .now(), frameInterval: 1.0 / 30)[0].picture, "then the slate")
        let before = arrivals.withLock { $0.count }

        // Plugged back in: pictures again within 2 s.
        camera.failure = nil
        let replugged = MonotonicInstant.now()
        var back: MonotonicInstant?
        for _ in 0..<40 where back == nil {
            Thread.sleep(forTimeInterval: 0.1)
            back = arrivals.withLock { $0.count > before ? $0[before].at : nil }
        }
        let reopened = try XCTUnwrap(back, "the camera came back").seconds(since: replugged)
        print("camera: unplugged for \(replugged.seconds(since: unplugged)) s, pictures again \(reopened) s after it returned")
        XCTAssertLessThan(reopened, 2)
        let seen = events.withLock { $0 }
        XCTAssertEqual(seen.count, 3, "\(seen)")
        guard seen.count == 3, case .opened(let opened) = seen[0], case .lost(let lost) = seen[1], case .recovered = seen[2] else {
            return XCTFail("opened, lost, recovered: \(seen)")
        }
        XCTAssertTrue(opened.contains("MJPG 1920x1080@30"), opened)
        XCTAssertTrue(opened.contains("controls not set: /dev/v4l/by-id/logitech-c920 has no control zoom_ultra"), opened)
        XCTAssertEqual(camera.controlsSet, ["focus_automatic_continuous": 0, "focus_absolute": 30], "set again on every open")
        XCTAssertTrue(lost.contains("No such device"), lost)
    }
}
