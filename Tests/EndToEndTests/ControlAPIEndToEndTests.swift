import ControlClient
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
}
