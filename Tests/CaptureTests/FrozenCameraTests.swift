import Capture
import Foundation
import Media
import RecorderCore
import Synchronization
import TestSupport
import XCTest

/// A camera that keeps sending the same picture (a scripted C920 streaming one colour, real JPEGs through the
/// same device interface a V4L2 camera has) raises the frozen-picture alarm as the monitor sees it: each
/// picture looked at by ``PictureProbe`` and judged by ``AlarmMonitor``.
final class FrozenCameraTests: XCTestCase {
    func testAFrozenCameraRaisesTheFrozenPictureAlarmAndABrightOneNoBlackPicture() throws {
        let camera = try ScriptedCamera(fixture: "logitech-c920.txt", colour: "red")
        let source = CameraSource(device: camera, controls: [:])
        var settings = MonitorSettings()
        settings.frozenSeconds = 1
        let monitor = Mutex(AlarmMonitor(settings: settings))
        let raised = Mutex<[Alarm]>([])
        let looks = Mutex<[PictureProbe.Look]>([])
        let probe = PictureProbe()
        let stop = Atomic(false)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            source.run(deliver: { picture in
                guard let look = try? probe.look(at: picture) else { return }
                looks.withLock { $0.append(look) }
                for change in monitor.withLock({ $0.picture(signature: look.signature, meanLuma: look.meanLuma, at: Date()) }) {
                    if case .raised(let alarm) = change { raised.withLock { $0.append(alarm) } }
                }
            }, events: { _ in }, stop: stop)
            done.signal()
        }
        thread.start()
        defer {
            stop.store(true, ordering: .relaxed)
            done.wait()
        }
        for _ in 0..<40 where raised.withLock({ $0.isEmpty }) { Thread.sleep(forTimeInterval: 0.1) }
        let alarms = raised.withLock { $0 }
        XCTAssertEqual(alarms.map(\.kind), [.frozenPicture], "frozen, not black: \(alarms)")
        let seen = looks.withLock { $0 }
        XCTAssertGreaterThan(seen.count, 20)
        XCTAssertEqual(Set(seen.map(\.signature)).count, 1, "every picture the same")
        XCTAssertEqual(seen[0].meanLuma, 81, accuracy: 6, "red's luma (BT.601: 0.299 × 255 ≈ 76, in video range ≈ 81)")
    }
}
