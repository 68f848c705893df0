import ControlClient
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// `roomrecd` delivering to a real S3-compatible server (moto), including a SIGKILL in the middle of an upload.
final class S3EndToEndTests: XCTestCase {
    private func daemon(with server: MotoServer) throws -> DaemonProcess {
        let root = try TemporaryDirectory(prefix: "rrs3")
        let credentials = "\(root.path)/s3-credentials"
        try "[default]\naws_access_key_id = AKIDTEST\naws_secret_access_key = SECRETTEST\n".write(toFile: credentials, atomically: true, encoding: .utf8)
        chmod(credentials, 0o600)
        let daemon = try DaemonProcess(library: """
            [library]
            target = "s3"
            path = "\(root.path)/library"

            [library.s3]
            endpoint = "\(server.endpoint)"
            region = "us-east-1"
            bucket = "lectures"
            addressing = "path"
            part_size_mb = 5
            credentials_file = "\(credentials)"
            """, recording: "video_bitrate_kbps = 20000")
        keep.append(root)
        return daemon
    }

    private var keep: [TemporaryDirectory] = []

    /// XCTest keeps every test case object until the run ends: remove the files now.
    override func tearDown() { keep.removeAll() }

    func testARecordingIsDeliveredToTheBucketAndSurvivesAKillMidUpload() async throws {
        try XCTSkipUnless(MotoServer.isInstalled, "run `make test-peers` (moto and boto3 in out/test-venv)")
        let server = try MotoServer()
        try server.createBucket("lectures")
        let daemon = try daemon(with: server)
        try await daemon.start()
        let recording = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Big lecture"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(5))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")

        // Kill the daemon as soon as the first part is confirmed.
        let confirmed = try await daemon.client.waitForUpload(every: .milliseconds(20), context: "the upload never reached its second part; \(daemon.log())") {
            $0.state == .uploading && $0.bytesConfirmed >= 5 << 20
        }.bytesConfirmed
        _ = try await daemon.stop(signal: SIGKILL)

        try await daemon.start()
        let job = try await daemon.client.waitForUpload(context: "the upload did not finish after the restart; \(daemon.log())") { $0.state == .done }
        // Parts were in flight at the kill: the store may hold more than the stored checkpoint, never less.
        let started = daemon.log().components(separatedBy: "\n").last { $0.contains("upload started") } ?? ""
        let from = started.range(of: #"from=(\d+)"#, options: .regularExpression).flatMap { Int64(started[$0].dropFirst(5)) }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(from, started), confirmed, "the restart resumes from the confirmed offset, not from 0")

        let stored = try await daemon.client.send("GET", "/v1/recordings/\(recording.recordingId)").decode(Recording.self)
        let key = "room-101/Recordings/\(stored.filename)"
        XCTAssertEqual(job.remoteId, "s3://lectures/\(key)")
        let contents = try server.contents(bucket: "lectures")
        XCTAssertEqual(contents.keys, [key], "exactly one object")
        XCTAssertEqual(contents.openUploads, 0, "no multipart upload left behind")
        let object = try server.object(bucket: "lectures", key: key)
        XCTAssertEqual(object.sha256, stored.sha256)
        XCTAssertEqual(Int64(object.size), stored.size)
        XCTAssertEqual(object.metadata["title"], "Big lecture")
        XCTAssertEqual(object.metadata["owner"], "channel-owner")
        XCTAssertNotNil(object.metadata["duration"])
        try await daemon.stop()
    }

    func testAMissingBucketFailsTheJobOnceWithTheServersMessage() async throws {
        try XCTSkipUnless(MotoServer.isInstalled, "run `make test-peers` (moto and boto3 in out/test-venv)")
        let server = try MotoServer()
        let daemon = try daemon(with: server)  // the bucket is never created
        try await daemon.start()
        _ = try await daemon.client.send("POST", "/v1/recordings")
        try await Task.sleep(for: .seconds(1))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        let job = try await daemon.client.waitForUpload(attempts: 300) { $0.state == .failed }
        XCTAssertEqual(job.attempts, 1, "a permanent error is not retried")
        XCTAssertTrue(job.lastError?.contains("NoSuchBucket") ?? false, job.lastError ?? "")
        try await daemon.stop()
    }

    func testCredentialsReadableByOthersAreRefused() throws {
        try XCTSkipUnless(MotoServer.isInstalled, "run `make test-peers` (moto and boto3 in out/test-venv)")
        let server = try MotoServer()
        let daemon = try daemon(with: server)
        let credentials = keep.last!.path + "/s3-credentials"
        chmod(credentials, 0o644)
        let run = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecd", ["--config", daemon.configPath])
        XCTAssertEqual(run.status, 78)
        XCTAssertTrue(run.stderr.contains("chmod 600"), run.stderr)
    }
}
