import ControlClient
import Foundation
import RecorderCore
import TestSupport
import Uploads
import XCTest

/// `roomrecd` delivering to the Kaltura API test server, including a SIGKILL in the middle of an upload.
final class KalturaEndToEndTests: XCTestCase {
    private var keep: [TemporaryDirectory] = []

    /// XCTest keeps every test case object until the run ends: remove the files now.
    override func tearDown() { keep.removeAll() }

    private func daemon(with server: KalturaServer) throws -> DaemonProcess {
        let root = try TemporaryDirectory(prefix: "rrk")
        keep.append(root)
        return try DaemonProcess(library: try server.librarySection(root: root, extra: "chunk_size_mb = 1") + """

            [uploads]
            # Slow enough to be killed in the middle.
            max_bytes_per_second = 4194304
            """, recording: "video_bitrate_kbps = 20000")
    }

    func testARecordingBecomesOneEntryInTheRecordingsCategoryAndSurvivesAKillMidUpload() async throws {
        let server = try KalturaServer()
        let daemon = try daemon(with: server)
        try await daemon.start()
        let recording = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Hybrid seminar"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(5))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")

        let confirmed = try await daemon.client.waitForUpload(attempts: 1000, every: .milliseconds(20),
                                                              context: "the upload never reached its third chunk; \(daemon.log())") {
            $0.state == .uploading && $0.bytesConfirmed >= 2 << 20
        }.bytesConfirmed
        _ = try await daemon.stop(signal: SIGKILL)

        try await daemon.start()
        let job = try await daemon.client.waitForUpload(context: "the upload did not finish after the restart; \(daemon.log())") { $0.state == .done }
        let resumedFrom = daemon.log().components(separatedBy: "\n").last { $0.contains("upload started") }
        XCTAssertFalse(resumedFrom?.contains("from=0 ") ?? true, "the restart resumes from the confirmed offset: \(resumedFrom ?? "")")

        let stored = try await daemon.client.send("GET", "/v1/recordings/\(recording.recordingId)").decode(Recording.self)
        let state = try server.state()
        XCTAssertEqual(state.entries.count, 1, "exactly one entry")
        let entry = state.entries[0]
        XCTAssertEqual(job.remoteId, "kaltura:\(entry.id)")
        XCTAssertEqual(entry.referenceId, recording.recordingId)
        XCTAssertEqual(entry.userId, "channel-owner")
        XCTAssertEqual(entry.name, stored.name)
        XCTAssertTrue(entry.name.hasPrefix("Rec - ") && entry.name.hasSuffix(" - Hybrid seminar"), entry.name)
        XCTAssertEqual(entry.status, 2)
        XCTAssertEqual(try FileDigest.sha256(path: server.contentPath(of: entry.id)), stored.sha256, "the same bytes")
        XCTAssertEqual(state.categoryEntries.map(\.entryId), [entry.id])
        let chunks = Int((stored.size! + (1 << 20) - 1) >> 20)
        let sent = state.calls.filter { $0 == "uploadtoken.upload" }.count
        XCTAssertLessThanOrEqual(sent, chunks + 1, "confirmed chunks are not sent again (at most the one cut off by the kill)")
        XCTAssertGreaterThan(confirmed, 0)
        try await daemon.stop()
    }
}
