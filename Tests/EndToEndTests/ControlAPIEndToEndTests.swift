import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// The control API of a real `roomrecd`: recordings (pagination, filters, stop by id, delete, bulk delete,
/// media with ranges) and roles from the callers' credentials.
final class ControlAPIEndToEndTests: XCTestCase {
    struct UploadList: Decodable { var uploads: [UploadJob] }

    /// Records `count` short recordings one after another and waits until each is uploaded.
    private func makeRecordings(_ count: Int, on daemon: DaemonProcess) async throws -> [Recording] {
        var made: [Recording] = []
        for n in 1...count {
            let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Lecture \#(n)"}"#.utf8))
            XCTAssertEqual(started.status, 201)
            try await Task.sleep(for: .milliseconds(1200))
            let id = try started.decode(Recording.self).recordingId
            let stopped = try await daemon.client.send("POST", "/v1/recordings/\(id)/stop")
            XCTAssertEqual(stopped.status, 202)
            made.append(try await waitUntilUploaded(id, on: daemon))
        }
        return made
    }

    private func waitUntilUploaded(_ id: String, on daemon: DaemonProcess) async throws -> Recording {
        for _ in 0..<300 {
            let jobs = try await daemon.client.send("GET", "/v1/uploads").decode(UploadList.self).uploads
            if jobs.contains(where: { $0.recordingId == id && $0.state == .done }) {
                return try await daemon.client.send("GET", "/v1/recordings/\(id)").decode(Recording.self)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessRunner.Failure(message: "recording \(id) was not uploaded")
    }

    func testRecordingsPageFilterStreamAndDelete() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let client = daemon.client
        let made = try await makeRecordings(3, on: daemon)

        // Pages of two, newest first, with a token for the rest.
        let first = try await client.send("GET", "/v1/recordings?maxItems=2").decode(RecordingPage.self)
        XCTAssertEqual(first.recordings.map(\.recordingId), [made[2].recordingId, made[1].recordingId])
        XCTAssertTrue(first.pagination.isTruncated)
        let token = try XCTUnwrap(first.pagination.nextPageToken)
        let second = try await client.send("GET", "/v1/recordings?maxItems=2&nextPageToken=\(token)").decode(RecordingPage.self)
        XCTAssertEqual(second.recordings.map(\.recordingId), [made[0].recordingId])
        XCTAssertFalse(second.pagination.isTruncated)
        XCTAssertNil(second.pagination.nextPageToken)
        let completed = try await client.send("GET", "/v1/recordings?status=complete&roomId=room-101").decode(RecordingPage.self)
        XCTAssertEqual(completed.recordings.count, 3)
        let otherRoom = try await client.send("GET", "/v1/recordings?roomId=elsewhere").decode(RecordingPage.self)
        XCTAssertTrue(otherRoom.recordings.isEmpty)
        let future = try await client.send("GET", "/v1/recordings?startDateFrom=2099-01-01T00:00:00Z").decode(RecordingPage.self)
        XCTAssertTrue(future.recordings.isEmpty)
        for (query, field) in [("maxItems=0", "maxItems"), ("maxItems=abc", "maxItems"), ("status=done", "status"),
                               ("startDateFrom=yesterday", "startDateFrom"), ("nextPageToken=%%%", "nextPageToken"), ("sort=asc", "sort")] {
            let bad = try await client.send("GET", "/v1/recordings?\(query)")
            XCTAssertEqual(bad.status, 400, query)
            XCTAssertTrue(bad.problem?.detail.contains(field) ?? false, "\(query): \(bad.problem?.detail ?? "")")
        }

        // The media route serves the whole file and byte ranges of it.
        let recording = made[0]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: recording.path))
        let whole = try await client.send("GET", "/v1/recordings/\(recording.recordingId)/media")
        XCTAssertEqual(whole.status, 200)
        XCTAssertEqual(whole.header("Content-Type"), "video/mp4")
        XCTAssertEqual(whole.header("Accept-Ranges"), "bytes")
        XCTAssertEqual(whole.body, bytes)
        let part = try await client.send("GET", "/v1/recordings/\(recording.recordingId)/media", headers: [("Range", "bytes=100-1099")])
        XCTAssertEqual(part.status, 206)
        XCTAssertEqual(part.header("Content-Range"), "bytes 100-1099/\(bytes.count)")
        XCTAssertEqual(part.body, bytes[100..<1100])
        let tail = try await client.send("GET", "/v1/recordings/\(recording.recordingId)/media", headers: [("Range", "bytes=-500")])
        XCTAssertEqual(tail.body, bytes.suffix(500))
        let outside = try await client.send("GET", "/v1/recordings/\(recording.recordingId)/media", headers: [("Range", "bytes=\(bytes.count)-")])
        XCTAssertEqual(outside.status, 416)
        XCTAssertEqual(outside.header("Content-Range"), "bytes */\(bytes.count)")

        // Several recordings as one ZIP archive, checked by Python's zipfile (CRC-32 of every entry).
        let zip = try await client.send("GET", "/v1/recordings/download?recordingIds=\(made[0].recordingId),\(made[1].recordingId)")
        XCTAssertEqual(zip.status, 200)
        XCTAssertEqual(zip.header("Content-Type"), "application/zip")
        let zipPath = "\(daemon.root.path)/download.zip"
        try zip.body.write(to: URL(fileURLWithPath: zipPath))
        let check = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None, "bad CRC"
            for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
                assert z.read(name) == open(path, "rb").read(), name
            print(len(z.namelist()))
            """, zipPath, made[0].filename, made[0].path, made[1].filename, made[1].path])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2")
        do { let status = try await client.send("GET", "/v1/recordings/download?recordingIds=missing").status; XCTAssertEqual(status, 404) }

        // Stopping by id: 404 for an unknown id, 409 for one that is not in progress.
        do { let status = try await client.send("POST", "/v1/recordings/nope/stop").status; XCTAssertEqual(status, 404) }
        do { let status = try await client.send("POST", "/v1/recordings/\(recording.recordingId)/stop").status; XCTAssertEqual(status, 409) }

        // A recording in progress cannot be deleted; a finished one can, file and all.
        let active = try await client.send("POST", "/v1/recordings").decode(Recording.self)
        let refused = try await client.send("DELETE", "/v1/recordings/\(active.recordingId)")
        XCTAssertEqual(refused.status, 409)
        do { let status = try await client.send("GET", "/v1/recordings/\(active.recordingId)").status; XCTAssertEqual(status, 200) }
        let deleted = try await client.send("DELETE", "/v1/recordings/\(recording.recordingId)")
        XCTAssertEqual(deleted.status, 204)
        XCTAssertFalse(FileManager.default.fileExists(atPath: recording.path))
        do { let status = try await client.send("GET", "/v1/recordings/\(recording.recordingId)").status; XCTAssertEqual(status, 404) }

        // Bulk delete reports what was deleted and what was not.
        let bulk = try await client.send("DELETE", "/v1/recordings?recordingIds=\(made[1].recordingId),missing,\(active.recordingId)")
        XCTAssertEqual(bulk.status, 400)
        let result = try bulk.decode(BulkDeleteResult.self)
        XCTAssertEqual(result.deleted, [made[1].recordingId])
        XCTAssertEqual(result.failed.map(\.recordingId), ["missing", active.recordingId])
        do { let status = try await client.send("DELETE", "/v1/recordings").status; XCTAssertEqual(status, 400) }
        do { let status = try await client.send("POST", "/v1/recordings/\(active.recordingId)/stop").status; XCTAssertEqual(status, 202) }
        try await daemon.stop()
    }

    func testRolesFollowTheCallersGroups() async throws {
        try XCTSkipUnless(getuid() == 0, "calling as other users needs root (setpriv)")
        // Debian's "users" group stands for the operators' group and "staff" for the admins'.
        let daemon = try DaemonProcess(control: #"socket_mode = "0666"\#noperator_group = "users"\#nadmin_group = "staff""#)
        try await daemon.start()
        let made = try await makeRecordings(1, on: daemon)
        let id = made[0].recordingId

        func call(groups: String?, _ arguments: [String]) throws -> ProcessRunner.Output {
            let identity = ["--reuid=65534", "--regid=65534"] + (groups.map { ["--groups=\($0)"] } ?? ["--clear-groups"])
            return try ProcessRunner.run("/usr/bin/setpriv", identity + ["\(DaemonProcess.binDirectory)/roomrecctl"] + arguments + ["--socket", daemon.socketPath])
        }

        // A viewer reads status and nothing else.
        XCTAssertEqual(try call(groups: nil, ["status"]).status, 0)
        let viewerStart = try call(groups: nil, ["start"])
        XCTAssertEqual(viewerStart.status, 1)
        XCTAssertTrue(viewerStart.stderr.contains("HTTP 403") && viewerStart.stderr.contains("operator role"), viewerStart.stderr)
        XCTAssertEqual(try call(groups: nil, ["recordings"]).status, 1)

        // An operator starts, stops and lists, but may not delete.
        XCTAssertEqual(try call(groups: "users", ["recordings"]).status, 0)
        let operatorStart = try call(groups: "users", ["start", "--title", "Panel"])
        XCTAssertEqual(operatorStart.status, 0, operatorStart.stderr)
        XCTAssertEqual(try call(groups: "users", ["stop"]).status, 0)
        let operatorDelete = try call(groups: "users", ["recordings", "rm", id])
        XCTAssertEqual(operatorDelete.status, 1)
        XCTAssertTrue(operatorDelete.stderr.contains("HTTP 403") && operatorDelete.stderr.contains("admin role"), operatorDelete.stderr)
        do { let status = try await daemon.client.send("GET", "/v1/recordings/\(id)").status; XCTAssertEqual(status, 200, "a forbidden call changes nothing") }

        // A member of the admin group may delete.
        let adminDelete = try call(groups: "staff", ["recordings", "rm", id])
        XCTAssertEqual(adminDelete.status, 0, adminDelete.stderr)
        do { let status = try await daemon.client.send("GET", "/v1/recordings/\(id)").status; XCTAssertEqual(status, 404) }
        XCTAssertTrue(daemon.log().contains("uid=65534"), "state changes are logged with the caller's uid")
        try await daemon.stop()
    }

    func testUploadActionsEventsMetricsHealthDevicesAndReload() async throws {
        let daemon = try DaemonProcess(control: #"metrics_textfile = "/tmp/roomrec-test-\#(getpid()).prom""#)
        let textfile = "/tmp/roomrec-test-\(getpid()).prom"
        defer { unlink(textfile) }
        try await daemon.start()
        let client = daemon.client
        let log = EventLog(client)
        try await Task.sleep(for: .milliseconds(300))

        // The library folder is in the way: the upload fails and waits for its next attempt.
        try FileManager.default.removeItem(atPath: daemon.libraryDirectory)
        XCTAssertTrue(FileManager.default.createFile(atPath: daemon.libraryDirectory, contents: Data("not a folder".utf8)))
        let recording = try await client.send("POST", "/v1/recordings").decode(Recording.self)
        try await Task.sleep(for: .milliseconds(1200))
        do { let value = try await client.send("POST", "/v1/recordings/current/stop").status; XCTAssertEqual(value, 202) }
        var job = try await client.waitForUpload(attempts: 300) { $0.lastError != nil && $0.state == .queued }
        XCTAssertEqual(job.recordingId, recording.recordingId)

        func act(_ action: String, _ id: String) async throws -> ControlClient.Response {
            try await client.send("POST", "/v1/uploads/\(id)/\(action)")
        }
        job = try await act("pause", job.jobId).decode(UploadJob.self)
        XCTAssertEqual(job.state, .paused)
        let again = try await act("pause", job.jobId)
        XCTAssertEqual(again.status, 409)
        XCTAssertTrue(again.problem?.detail.contains("paused") ?? false)
        do { let value = try await act("resume", job.jobId).decode(UploadJob.self).state; XCTAssertEqual(value, .queued) }
        let cancelled = try await act("cancel", job.jobId).decode(UploadJob.self)
        XCTAssertEqual(cancelled.state, .cancelled)
        do { let value = try await act("retry", "no-such-job").status; XCTAssertEqual(value, 404) }
        do { let value = try await act("explode", job.jobId).status; XCTAssertEqual(value, 404) }

        let detail = try await client.send("GET", "/v1/uploads/\(job.jobId)")
        XCTAssertEqual(detail.status, 200)
        XCTAssertEqual(try detail.decode(UploadJobDetail.self).job.state, .cancelled)
        do { let status = try await client.send("GET", "/v1/uploads/nope").status; XCTAssertEqual(status, 404) }

        // With the folder back and the whole queue paused, a retry waits until the queue runs again.
        try FileManager.default.removeItem(atPath: daemon.libraryDirectory)
        try FileManager.default.createDirectory(atPath: daemon.libraryDirectory, withIntermediateDirectories: true)
        let paused = try await client.send("POST", "/v1/uploads/pause")
        XCTAssertEqual(String(decoding: paused.body, as: UTF8.self).contains("true"), true)
        let held = try await client.send("GET", "/v1/status").decode(StatusReport.self).queue.heldReason
        XCTAssertEqual(held, "paused", "status says why uploads wait")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(daemon.stateDirectory)/uploads-paused"), "the pause outlives a restart")
        let retried = try await act("retry", job.jobId).decode(UploadJob.self)
        XCTAssertEqual(retried.attempts, 0, "a retry counts attempts afresh")
        try await Task.sleep(for: .seconds(1))
        do { let state = try await client.send("GET", "/v1/uploads/\(job.jobId)").decode(UploadJobDetail.self).job.state; XCTAssertEqual(state, .queued) }
        _ = try await client.send("POST", "/v1/uploads/resume")
        job = try await client.waitForUpload(attempts: 300) { $0.state == .done }
        let deleteDone = try await client.send("DELETE", "/v1/uploads/\(job.jobId)")
        XCTAssertEqual(deleteDone.status, 409, "a delivered job cannot be cancelled")
        let metricsAfter = String(decoding: try await client.send("GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metricsAfter.contains("roomrec_upload_failures_total{kind=\"transient\"}"), metricsAfter)
        XCTAssertTrue(metricsAfter.contains("roomrec_upload_queue_paused 0"), metricsAfter)
        XCTAssertFalse(metricsAfter.contains("roomrec_upload_bytes_total 0\n"), metricsAfter)

        // Events told the whole story, in order.
        try await Task.sleep(for: .milliseconds(300))
        let events = await log.all
        let states = events.compactMap { $0.recording?.recordingId == recording.recordingId && $0.type == .recording ? $0.recording?.status : nil }
        XCTAssertEqual(Array(states.prefix(4)), [.starting, .active, .ending, .complete], "\(states)")
        let uploadStates = events.compactMap { $0.upload?.state }
        XCTAssertTrue(uploadStates.contains(.paused) && uploadStates.contains(.cancelled), "\(uploadStates)")
        XCTAssertEqual(uploadStates.last, .done)
        XCTAssertEqual(events.map(\.id), events.map(\.id).sorted(), "ids increase")

        // Metrics, on the socket and in the textfile.
        let metrics = try await client.send("GET", "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertEqual(metrics.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        let text = String(decoding: metrics.body, as: UTF8.self)
        for line in ["# TYPE roomrec_recording_active gauge", "roomrec_recording_active 0", "roomrec_upload_jobs{state=\"done\"} 1",
                     "roomrec_recordings{status=\"complete\"} 1", "roomrec_recordings_started_total 1", "roomrec_build_info{version="] {
            XCTAssertTrue(text.contains(line), "missing \(line) in:\n\(text)")
        }
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: textfile) { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertTrue((try? String(contentsOfFile: textfile, encoding: .utf8))?.contains("roomrec_uptime_seconds") ?? false)

        // Health and devices.
        let health = try await client.send("GET", "/v1/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(try health.decode(HealthReport.self).checks["catalog"], "ok")
        struct Devices: Decodable { var devices: [DeviceInfo] }
        let devices = try await client.send("GET", "/v1/devices").decode(Devices.self).devices
        XCTAssertTrue(devices.contains { $0.kind == .camera && $0.id == "synthetic" })

        // Reload: a good file applies; a bad one is refused naming the line, and changes nothing; SIGHUP reloads too.
        let original = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try original.replacingOccurrences(of: #"title = "Room 101""#, with: #"title = "Aula Magna""#)
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let reload = try await client.send("POST", "/v1/config/reload")
        XCTAssertEqual(reload.status, 200)
        XCTAssertEqual(try reload.decode(ReloadReport.self).applied, ["room"])
        do { let value = try await client.send("GET", "/v1/status").decode(StatusReport.self).room.title; XCTAssertEqual(value, "Aula Magna") }
        try (original + "\n[room]\nbogus = 1\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let refused = try await client.send("POST", "/v1/config/reload")
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue(refused.problem?.detail.contains("roomrec.toml:") ?? false, refused.problem?.detail ?? "")
        do { let value = try await client.send("GET", "/v1/status").decode(StatusReport.self).room.title; XCTAssertEqual(value, "Aula Magna") }
        try original.replacingOccurrences(of: #"title = "Room 101""#, with: #"title = "Hall B""#)
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        try await daemon.signal(SIGHUP)
        var title = ""
        for _ in 0..<50 {
            title = try await client.send("GET", "/v1/status").decode(StatusReport.self).room.title
            if title == "Hall B" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(title, "Hall B")
        try await daemon.stop()
    }

    func testRoomrecctlFollowsEvents() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let ctl = "\(DaemonProcess.binDirectory)/roomrecctl"
        let socket = daemon.socketPath
        let follower = Task.detached { try ProcessRunner.run(ctl, ["events", "--count", "2", "--socket", socket]) }
        try await Task.sleep(for: .milliseconds(500))
        _ = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Followed"}"#.utf8))
        let output = try await follower.value
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("starting") && output.stdout.contains("active") && output.stdout.contains("Followed"), output.stdout)
        try await daemon.stop()
    }
}
