import Catalog
import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// `roomrecctl restart` (the package's upgrade): a real `roomrecd` under a stand-in for systemd's notify socket
/// goes on recording, and exits with 75 (for `RestartForceExitStatus=75`) only once the recording has ended.
final class RestartEndToEndTests: XCTestCase {
    func testRestartWaitsForTheRecordingAndExitsWith75() async throws {
        let daemon = try DaemonProcess()
        let notify = try NotifySocket(path: "\(daemon.root.path)/notify.sock")
        try await daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        let recording = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Physics"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(2))

        let ctl = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["restart", "--socket", daemon.socketPath])
        XCTAssertEqual(ctl.status, 0, ctl.stderr)
        XCTAssertEqual(ctl.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "roomrecd restarts when recording \(recording.recordingId) ends")
        let again = try await daemon.client.send("POST", "/v1/restart")
        XCTAssertEqual(again.status, 202)
        XCTAssertEqual(try again.decode(RestartPlan.self), RestartPlan(restart: "after_recording", recordingId: recording.recordingId))

        let early = try await daemon.waitForExit(seconds: 3)
        XCTAssertNil(early, "the daemon left during the recording: \(daemon.log())")
        let status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(status.current?.recordingId, recording.recordingId, "the recording goes on")
        XCTAssertTrue(notify.messages.contains("STATUS=Restart pending: after recording \(recording.recordingId) ends"), "\(notify.messages)")

        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        let exit = try await daemon.waitForExit(seconds: 30)
        XCTAssertEqual(exit, 75, daemon.log())
        XCTAssertTrue(notify.messages.contains("STOPPING=1"), "\(notify.messages)")

        let catalog = try CatalogDatabase(path: "\(daemon.stateDirectory)/roomrec.sqlite")
        let recordings = try await catalog.recordings(matching: RecordingQuery())
        XCTAssertEqual(recordings.map(\.recordingId), [recording.recordingId], "one recording, not split by the restart")
        XCTAssertEqual(recordings.first?.status, .complete)
        XCTAssertEqual(try FFprobe.run(try XCTUnwrap(recordings.first).path).duration, 5, accuracy: 1.5)
    }

    func testRestartWhileIdleIsAtOnceAndOutsideSystemdIsRefused() async throws {
        let unsupervised = try DaemonProcess()
        try await unsupervised.start(environment: ["NOTIFY_SOCKET": ""])
        let refused = try await unsupervised.client.send("POST", "/v1/restart")
        XCTAssertEqual(refused.status, 409)
        XCTAssertTrue(String(decoding: refused.body, as: UTF8.self).contains("not run by systemd"), String(decoding: refused.body, as: UTF8.self))
        let stillThere = try await unsupervised.waitForExit(seconds: 1)
        XCTAssertNil(stillThere)
        try await unsupervised.stop()

        let daemon = try DaemonProcess()
        let notify = try NotifySocket(path: "\(daemon.root.path)/notify.sock")
        try await daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        let plan = try await daemon.client.send("POST", "/v1/restart").decode(RestartPlan.self)
        XCTAssertEqual(plan, RestartPlan(restart: "now", recordingId: nil))
        let exit = try await daemon.waitForExit(seconds: 30)
        XCTAssertEqual(exit, 75, daemon.log())
    }
}
