import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// roomrecd as an Opencast capture agent against `Tests/Peers/opencast_server.py`, which answers as Opencast
/// does (docs/opencast-agent.md): an event of the agent's calendar is recorded at its times, its recording
/// states and the agent's state go as Opencast's guide says, and its package arrives once, bound to the event,
/// through Opencast outages, crashes and kills.
final class OpencastEndToEndTests: XCTestCase {
    /// Seeds one event of agent `room-101` starting `startIn` seconds from now.
    private func seedEvent(_ server: OpencastServer, uid: String, startIn: Int, seconds: Int) throws -> Date {
        let start = Int(Date().timeIntervalSince1970) + startIn
        try server.seed("""
            {"events": [{"uid": "\(uid)", "agent": "room-101", "title": "Physics \(uid)", "presenters": ["Emmy Noether"],
                         "start": \(start), "end": \(start + seconds), "workflowDefinition": "fast",
                         "workflowConfig": {"straightToPublishing": "true"}, "inputs": "camera,microphone"}]}
            """)
        return Date(timeIntervalSince1970: TimeInterval(start))
    }

    private func daemon(_ server: OpencastServer, root: TemporaryDirectory, user: String = "capture_agent", auth: String = "basic",
                        password: String = OpencastServer.password) throws -> DaemonProcess {
        let (library, sections) = try server.sections(root: root, user: user, auth: auth, password: password)
        return try DaemonProcess(library: library, sections: sections)
    }

    func testAScheduledEventIsRecordedAndIngestedOnceWithItsWorkflowWhileTheAgentReportsEachStep() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        let start = try seedEvent(server, uid: "ev-1", startIn: 6, seconds: 5)
        let daemon = try daemon(server, root: root)
        try await daemon.start()

        let found = try await daemon.waitForRecording(attempts: 150)
        let recording = try XCTUnwrap(found, daemon.log())
        XCTAssertEqual(recording.opencastEventId, "ev-1")
        XCTAssertTrue(recording.name.hasSuffix(" - Physics ev-1"), recording.name)
        XCTAssertEqual(recording.startDate.timeIntervalSince(start), 0, accuracy: 1.5, "started at the event's start")
        var status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        for _ in 0..<30 where status.opencast?.agentState != "capturing" {
            try await Task.sleep(for: .milliseconds(100))
            status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        }
        XCTAssertEqual(status.opencast?.agentState, "capturing", "\(String(describing: status.opencast))")
        XCTAssertEqual(status.opencast?.calendarEvents, 1)
        let upcoming = try await daemon.client.send("GET", "/v1/schedule/upcoming").decode(UpcomingList.self).recordings
        XCTAssertEqual(upcoming.first?.source, "opencast:ev-1", "\(upcoming)")

        let job = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        let finished = try await daemon.client.send("GET", "/v1/recordings/\(recording.recordingId)").decode(Recording.self)
        XCTAssertEqual(finished.endDate.map { $0.timeIntervalSince(start) } ?? 0, 5, accuracy: 1.5, "ended at the event's end")
        var state = try server.state()
        for _ in 0..<100 where state.agents["room-101"]?.state != "idle" {
            try await Task.sleep(for: .milliseconds(100))
            state = try server.state()
        }
        XCTAssertEqual(state.states(of: "ev-1"), ["capturing", "capture_finished", "uploading", "upload_finished"])
        XCTAssertEqual(state.ingests.count, 1, "one package")
        let ingest = try XCTUnwrap(state.ingests.first)
        XCTAssertEqual(ingest.workflowInstanceId, "ev-1")
        XCTAssertEqual(ingest.mediaPackageId, "ev-1", "bound to the event")
        XCTAssertEqual(ingest.workflowDefinitionId, "fast", "the event's workflow")
        XCTAssertEqual(ingest.configuration["straightToPublishing"], "true", "the event's workflow configuration")
        XCTAssertEqual(ingest.tracks.map(\.sha256), [finished.sha256], "the file, whole")
        XCTAssertEqual(ingest.tracks.first?.flavor, "presenter/source")
        XCTAssertEqual(job.remoteId, "opencast:ev-1/workflow/\(ingest.workflowId)")
        let agent = try XCTUnwrap(state.agents["room-101"], "\(state.agents.keys)")
        let agentStates = agent.history.map(\.state).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        XCTAssertEqual(Array(agentStates.prefix(4)), ["idle", "capturing", "uploading", "idle"], "\(agentStates)")
        XCTAssertEqual(agent.capabilities?["capture.device.names"], "camera,microphone",
                       "\(state.calls.filter { $0.path.hasSuffix("/configuration") }.count) posts; \(daemon.log().split(separator: "\n").filter { $0.contains("Opencast") }.prefix(5))")
        XCTAssertEqual(agent.configuration?["capture.device.timezone"], TimeZone.current.identifier)
        XCTAssertNotNil(agent.configuration?["capture.disk.free.gb"])
        XCTAssertFalse(state.calls.contains { $0.path.contains("/ingest/addDCCatalog") }, "a scheduled event's catalog is Opencast's already")

        _ = try await daemon.stop()
        XCTAssertEqual(try server.state().agents["room-101"]?.state, "offline", "a clean stop says offline")
    }

    func testAnEventIsRecordedFromTheKeptCalendarWhileOpencastIsDownAndIngestedWhenItIsBack() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        let start = try seedEvent(server, uid: "ev-down", startIn: 10, seconds: 4)
        let daemon = try daemon(server, root: root)
        try await daemon.start()
        var events = 0
        for _ in 0..<50 where events == 0 {
            events = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self).opencast?.calendarEvents ?? 0
            if events == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertEqual(events, 1, daemon.log())
        // Opencast goes away (every request unanswered), and the room computer restarts.
        try server.fail("path=/&action=drop&count=1000000")
        _ = try await daemon.stop()
        try await daemon.start()

        let found = try await daemon.waitForRecording(attempts: 150)
        let recording = try XCTUnwrap(found, "recorded from the calendar kept on disk; \(daemon.log())")
        XCTAssertEqual(recording.opencastEventId, "ev-down")
        XCTAssertEqual(recording.startDate.timeIntervalSince(start), 0, accuracy: 1.5)
        let waiting = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.lastError != nil }
        XCTAssertNotEqual(waiting.state, .done)
        let status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertNotNil(status.opencast?.lastError, "the outage is shown")

        try server.fail("path=/&count=0")
        _ = try await daemon.client.send("POST", "/v1/uploads/\(waiting.jobId)/retry")
        let done = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        XCTAssertTrue(done.remoteId?.hasPrefix("opencast:ev-down/") == true, "\(String(describing: done.remoteId))")
        let state = try server.state()
        XCTAssertEqual(state.ingests.map(\.workflowInstanceId), ["ev-down"])
        XCTAssertEqual(state.states(of: "ev-down").suffix(2), ["uploading", "upload_finished"])
        _ = try await daemon.stop()
    }

    func testAnEventSplitByACrashIsOnePackageOfPartialTracks() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        _ = try seedEvent(server, uid: "ev-split", startIn: 5, seconds: 14)
        let daemon = try daemon(server, root: root)
        try await daemon.start()
        let first = try await daemon.waitForRecording(attempts: 150)
        XCTAssertNotNil(first, daemon.log())
        try await Task.sleep(for: .seconds(4))
        _ = try await daemon.stop(signal: SIGKILL)
        try await daemon.start()

        var parts: [Recording] = []
        for _ in 0..<400 {
            parts = try await daemon.client.send("GET", "/v1/recordings").decode(RecordingPage.self).recordings
            if parts.count == 2, parts.allSatisfy({ $0.uploadStatus == .uploaded }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        parts.sort { $0.startDate < $1.startDate }
        XCTAssertEqual(parts.map(\.status), [.recovered, .complete], daemon.log())
        XCTAssertEqual(parts.map(\.uploadStatus), [.uploaded, .uploaded], daemon.log())
        let state = try server.state()
        XCTAssertEqual(state.ingests.count, 1, "one episode")
        let ingest = try XCTUnwrap(state.ingests.first)
        XCTAssertEqual(ingest.workflowInstanceId, "ev-split")
        XCTAssertEqual(Set(ingest.tracks.map(\.sha256)), Set(parts.map(\.sha256)), "both parts, whole")
        XCTAssertEqual(ingest.tracks.map(\.partial), [true, true])
        let offsets = ingest.tracks.compactMap(\.startTime).sorted()
        XCTAssertEqual(offsets.first, 0)
        XCTAssertEqual(Double(offsets.last ?? 0), parts[1].startDate.timeIntervalSince(parts[0].startDate) * 1000, accuracy: 1000,
                       "the second part's offset (the API's times are whole seconds)")
        _ = try await daemon.stop()
    }

    func testKilledDuringTheTrackUploadAndDuringTheIngestTheEventArrivesOnce() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        _ = try seedEvent(server, uid: "ev-kill", startIn: 5, seconds: 4)
        // The digest system account: it may ask the workflow service whether a package arrived.
        try server.uploadFault("path=/ingest/addTrack&rate=150000&count=1")
        let daemon = try daemon(server, root: root, user: "opencast_system_account", auth: "digest")
        try await daemon.start()
        let found = try await daemon.waitForRecording(attempts: 150)
        let recording = try XCTUnwrap(found, daemon.log())

        // Killed while the track is sent.
        var sending = false
        for _ in 0..<300 where !sending {
            sending = try server.state().uploads.contains { $0.endpoint == "/addTrack" && !$0.complete && $0.bytes > 0 }
            if !sending { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(sending, daemon.log())
        _ = try await daemon.stop(signal: SIGKILL)

        // Killed while Opencast works on the ingest, which arrives all the same.
        try server.fail("path=/ingest/ingest&action=delay&seconds=4&count=1")
        try await daemon.start()
        // The ingest follows the track at once, and Opencast takes 4 s over it.
        var sent = false
        for _ in 0..<300 where !sent {
            sent = try server.state().uploads.contains { $0.endpoint == "/addTrack" && $0.complete }
            if !sent { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(sent, daemon.log())
        try await Task.sleep(for: .seconds(1))
        _ = try await daemon.stop(signal: SIGKILL)
        XCTAssertEqual(try server.state().ingests.count, 0, "killed before the ingest's answer")
        try await Task.sleep(for: .seconds(4))

        try await daemon.start()
        let done = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        let state = try server.state()
        XCTAssertEqual(state.ingests.count, 1, "exactly one package: \(state.ingests.map(\.workflowId))")
        let stored = try await daemon.client.send("GET", "/v1/recordings/\(recording.recordingId)").decode(Recording.self)
        XCTAssertEqual(state.ingests.first?.tracks.map(\.sha256), [stored.sha256], "the file's SHA-256 intact")
        XCTAssertEqual(state.uploads.filter { $0.endpoint == "/addTrack" }.count, 2, "the cut track was sent again, whole")
        XCTAssertEqual(state.calls.filter { $0.path == "/ingest/ingest" }.count, 1, "asked, not ingested again")
        XCTAssertTrue(state.calls.contains { $0.path.hasPrefix("/workflow/mediaPackage/ev-kill") && $0.auth == "digest" },
                      "the arrival was asked: \(state.calls.map { "\($0.method) \($0.path) \($0.auth ?? "")" }.suffix(12))")
        XCTAssertEqual(done.remoteId?.hasPrefix("opencast:ev-kill"), true)
        _ = try await daemon.stop()
    }

    func testAnAdHocRecordingIsPutIntoOpencastsScheduleFirstAndNotStartedAgainAfterItsStop() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        let (library, sections) = try server.sections(root: root, extra: """
            ad_hoc = "schedule"
            ad_hoc_minutes = 5
            [opencast.workflow_configuration]
            straightToPublishing = "true"
            """)
        let daemon = try DaemonProcess(library: library, sections: sections)
        try await daemon.start()
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Office hours"}"#.utf8)).decode(Recording.self)
        var linked: Recording?
        for _ in 0..<100 where linked?.opencastEventId == nil {
            linked = try await daemon.client.send("GET", "/v1/recordings/\(started.recordingId)").decode(Recording.self)
            if linked?.opencastEventId == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let uid = try XCTUnwrap(linked?.opencastEventId, daemon.log())
        // The calendar lists the event under way; the schedule adopts the recording rather than starting another.
        try await Task.sleep(for: .seconds(3))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        _ = try await daemon.client.waitForUpload(of: started.recordingId, context: daemon.log()) { $0.state == .done }
        try await Task.sleep(for: .seconds(2))
        let recordings = try await daemon.client.send("GET", "/v1/recordings").decode(RecordingPage.self).recordings
        XCTAssertEqual(recordings.map(\.recordingId), [started.recordingId], "the event still in the calendar is not recorded again")

        let state = try server.state()
        XCTAssertEqual(state.states(of: uid), ["capturing", "capture_finished", "uploading", "upload_finished"])
        XCTAssertEqual(state.ingests.map(\.workflowInstanceId), [uid])
        XCTAssertEqual(state.ingests.first?.configuration["straightToPublishing"], "true")
        _ = try await daemon.stop()
    }

    func testAnUnscheduledRecordingIsIngestedWithItsOwnCatalogAndTheDefaultWorkflow() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        let daemon = try daemon(server, root: root)
        try await daemon.start()
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Office hours"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(2))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        let done = try await daemon.client.waitForUpload(of: started.recordingId, context: daemon.log()) { $0.state == .done }
        let state = try server.state()
        let ingest = try XCTUnwrap(state.ingests.first, daemon.log())
        XCTAssertEqual(state.ingests.count, 1)
        XCTAssertNil(ingest.workflowInstanceId)
        XCTAssertEqual(ingest.workflowDefinitionId, "schedule-and-upload")
        XCTAssertEqual(ingest.catalogs.count, 1, "the episode's title, period and agent")
        XCTAssertEqual(done.remoteId?.hasPrefix("opencast:\(ingest.mediaPackageId)"), true)
        XCTAssertTrue(state.recordings.isEmpty, "no recording state for an event Opencast never scheduled")
        _ = try await daemon.stop()
    }

    func testAWrongPasswordNamesTheUserAndTheMethodToCheck() async throws {
        let server = try OpencastServer()
        let root = try TemporaryDirectory(prefix: "rroc")
        let daemon = try daemon(server, root: root, password: "wrong")
        try await daemon.start()
        var error: String?
        for _ in 0..<50 where error == nil {
            error = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self).opencast?.lastError
            if error == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let message = try XCTUnwrap(error, daemon.log())
        XCTAssertTrue(message.contains("\"capture_agent\"") && message.contains("basic") && message.contains("password_file"), message)
        _ = try await daemon.stop()
    }
}
