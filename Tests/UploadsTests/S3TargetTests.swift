import Catalog
import Foundation
import Logging
import RecorderCore
import TestSupport
import Uploads
import XCTest

/// The S3 target against a real S3-compatible server (moto), checked with boto3.
final class S3TargetTests: XCTestCase {
    private var server: MotoServer!
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        try XCTSkipUnless(MotoServer.isInstalled, "run `make test-peers` (moto and boto3 in out/test-venv)")
        server = try MotoServer()
        directory = try TemporaryDirectory()
        try server.createBucket("recordings")
    }

    /// XCTest keeps every test case object until the run ends: release the server and the files now.
    override func tearDown() {
        server?.stop()
        server = nil
        directory = nil
    }

    private func target(bucket: String = "recordings", pathStyle: Bool = true, partsInFlight: Int = 2) -> S3Target {
        let client = S3Client(endpoint: .init(url: URL(string: server.endpoint)!, bucket: bucket, pathStyle: pathStyle),
                              signer: SigV4Signer(credentials: .init(accessKeyId: "AKIDTEST", secretAccessKey: "SECRETTEST"), region: "us-east-1"))
        return S3Target(client: client, partSize: 5 << 20, partsInFlight: partsInFlight)
    }

    func testUploadsInPartsWithItsMetadata() async throws {
        var recording = try LocalFolderTargetTests.recording(in: directory, bytes: 12 << 20)
        recording.title = "Physics 101: Optics"
        recording.owner = "channel-owner"
        let reports = Reports()
        let final = try await target().deliver(recording, from: UploadCheckpoint()) { await reports.add($0) }
        let key = "room-101/Recordings/\(recording.filename)"
        XCTAssertEqual(final, UploadCheckpoint(remoteId: "s3://recordings/\(key)", bytesConfirmed: 12 << 20))
        let checkpoints = await reports.all
        // Two parts are on the wire at once: the checkpoint is the unbroken run of confirmed parts from the first.
        let confirmed = checkpoints.map(\.bytesConfirmed)
        XCTAssertEqual(confirmed.first, 0, "the upload id is stored before any part")
        XCTAssertEqual(confirmed.last, 12 << 20)
        XCTAssertEqual(confirmed, confirmed.sorted())
        XCTAssertTrue(Set(confirmed).isSubset(of: [0, 5 << 20, 10 << 20, 12 << 20]), "\(confirmed)")
        XCTAssertTrue(checkpoints[0].remoteId?.hasPrefix("s3-upload:") ?? false)

        let object = try server.object(bucket: "recordings", key: key)
        XCTAssertEqual(object.size, 12 << 20)
        XCTAssertEqual(object.sha256, recording.sha256)
        XCTAssertEqual(object.metadata["sha256"], recording.sha256)
        XCTAssertEqual(object.metadata["room"], "room-101")
        XCTAssertEqual(object.metadata["title"], "Physics 101: Optics")
        XCTAssertEqual(object.metadata["owner"], "channel-owner")
        XCTAssertEqual(object.metadata["recording-id"], recording.recordingId)
        XCTAssertEqual(try server.contents(bucket: "recordings").openUploads, 0)
    }

    func testAResumedUploadSendsAgainAPartTheStoreHoldsDifferently() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 12 << 20)
        let read = try await interruptedDelivery(of: recording, to: target(partsInFlight: 1)) { $0.bytesConfirmed >= 5 << 20 }
        // The first part of the file changes under the upload (same size): the read part no longer matches it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: recording.path))
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: Data([0x42, 0x42, 0x42]))
        try handle.close()
        let second = Reports()
        _ = try await target(partsInFlight: 1).deliver(recording, from: read) { await second.add($0) }
        let resumed = await second.all.map(\.bytesConfirmed)
        XCTAssertEqual(resumed, [5 << 20, 10 << 20, 12 << 20], "part 1 is checked against what the store lists (its checksum, or here, moto listing none, its ETag) and sent again")
        let key = "room-101/Recordings/\(recording.filename)"
        XCTAssertEqual(try server.object(bucket: "recordings", key: key).sha256, try FileDigest.sha256(path: recording.path))
    }

    func testAnInterruptedUploadResumesFromThePartsTheServerHolds() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 12 << 20)
        // One part at a time, so the interruption falls after exactly one part.
        let read = try await interruptedDelivery(of: recording, to: target(partsInFlight: 1)) { $0.bytesConfirmed >= 5 << 20 }
        XCTAssertEqual(read.bytesConfirmed, 5 << 20)

        // Resumed from the read checkpoint, as after a restart: part 1 is not sent again.
        let second = Reports()
        let final = try await target(partsInFlight: 1).deliver(recording, from: read) { await second.add($0) }
        let resumed = await second.all.map(\.bytesConfirmed)
        XCTAssertEqual(resumed, [10 << 20, 12 << 20])
        let contents = try server.contents(bucket: "recordings")
        XCTAssertEqual(contents.keys, ["room-101/Recordings/\(recording.filename)"], "one object")
        XCTAssertEqual(contents.openUploads, 0)
        XCTAssertEqual(try server.object(bucket: "recordings", key: contents.keys[0]).sha256, recording.sha256)
        XCTAssertEqual(final.remoteId, "s3://recordings/\(contents.keys[0])")
    }

    func testAnUploadThatCompletedBeforeACrashIsNotMadeAgain() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 1 << 20)
        let first = Reports()
        _ = try await target().deliver(recording, from: UploadCheckpoint()) { await first.add($0) }
        // The queue died before storing `done`: it still holds the upload marker, or nothing at all.
        let marker = try await XCTUnwrapAsync(await first.all.first)
        for checkpoint in [marker, UploadCheckpoint()] {
            let again = Reports()
            let final = try await target().deliver(recording, from: checkpoint) { await again.add($0) }
            let sent = await again.all
            XCTAssertTrue(sent.isEmpty, "nothing is sent again")
            XCTAssertEqual(final.remoteId, "s3://recordings/room-101/Recordings/\(recording.filename)")
        }
        XCTAssertEqual(try server.contents(bucket: "recordings").keys.count, 1)
    }

    func testAnUploadOrphanedBeforeItsCheckpointIsFreed() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 1000)
        // A crash came between CreateMultipartUpload and storing its id.
        try server.boto("s3.create_multipart_upload(Bucket='recordings', Key=sys.argv[1])", ["room-101/Recordings/\(recording.filename)"])
        XCTAssertEqual(try server.contents(bucket: "recordings").openUploads, 1)
        _ = try await target().deliver(recording, from: UploadCheckpoint()) { _ in }
        let contents = try server.contents(bucket: "recordings")
        XCTAssertEqual(contents.openUploads, 0, "the orphan was aborted")
        XCTAssertEqual(contents.keys.count, 1)
    }

    func testAnotherObjectOfTheSameNameIsKept() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 1000)
        let key = "room-101/Recordings/\(recording.filename)"
        try server.boto("s3.put_object(Bucket='recordings', Key=sys.argv[1], Body=b'someone else')", [key])
        let final = try await target().deliver(recording, from: UploadCheckpoint()) { _ in }
        XCTAssertEqual(final.remoteId, "s3://recordings/room-101/Recordings/Rec - 2026-11-23 14-05-09 - T (2).mp4")
        XCTAssertEqual(try server.object(bucket: "recordings", key: key).size, "someone else".utf8.count)
    }

    func testVirtualHostedAddressingNamesTheBucketInTheHost() {
        let client = S3Client(endpoint: .init(url: URL(string: "https://s3.eu-central-1.amazonaws.com")!, bucket: "lecture-rec", pathStyle: false),
                              signer: SigV4Signer(credentials: .init(accessKeyId: "a", secretAccessKey: "b"), region: "eu-central-1"))
        let target = S3Target(client: client)
        XCTAssertEqual(target.client.endpoint.bucket, "lecture-rec")
        XCTAssertEqual(target.key(for: try! LocalFolderTargetTests.recording(in: directory, bytes: 1)), "room-101/Recordings/Rec - 2026-11-23 14-05-09 - T.mp4")
    }

    func testAMissingBucketIsAPermanentErrorWithTheServersMessage() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 1000)
        do {
            _ = try await target(bucket: "no-such-bucket").deliver(recording, from: UploadCheckpoint()) { _ in }
            XCTFail("expected an error")
        } catch let error as PermanentUploadError {
            XCTAssertTrue(error.message.contains("NoSuchBucket"), error.message)
        }
    }

    func testCancellingAbortsTheMultipartUpload() async throws {
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 11 << 20)
        let read = try await interruptedDelivery(of: recording, to: target()) { $0.bytesConfirmed > 0 }
        XCTAssertEqual(try server.contents(bucket: "recordings").openUploads, 1)
        try await target().abort(read)
        XCTAssertEqual(try server.contents(bucket: "recordings").openUploads, 0)
    }
}

/// The whole queue against S3 through a proxy that resets, loses, delays and refuses requests.
final class S3FaultTests: XCTestCase {
    func testUploadsCompleteThroughFaultsWithoutDuplicates() async throws {
        try XCTSkipUnless(MotoServer.isInstalled, "run `make test-peers` (moto and boto3 in out/test-venv)")
        let server = try MotoServer()
        defer { server.stop() }
        try server.createBucket("recordings")
        // Request 0 is the HEAD before the upload, 1 lists orphans, 2 creates it, then parts 1-3, then complete.
        let proxy = try FaultProxy(upstreamPort: server.port, plan: ["pass", "503", "pass", "pass", "reset", "lost", "pass", "delay", "500", "pass"])
        let directory = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(directory.path)/c.sqlite")
        let recording = try LocalFolderTargetTests.recording(in: directory, bytes: 12 << 20)
        try await catalog.insert(recording)
        let now = Date()
        try await catalog.finish(recording, queueing: UploadJob(jobId: "j", recordingId: recording.recordingId, target: .s3, nextAttemptAt: now,
                                                          totalBytes: 12 << 20, createdAt: now, updatedAt: now))
        let client = S3Client(endpoint: .init(url: URL(string: proxy.endpoint)!, bucket: "recordings", pathStyle: true),
                              signer: SigV4Signer(credentials: .init(accessKeyId: "AKIDTEST", secretAccessKey: "SECRETTEST"), region: "us-east-1"),
                              timeout: 3)
        let queue = UploadQueue(catalog: catalog, targets: [S3Target(client: client, partSize: 5 << 20)],
                                retry: RetryPolicy(base: 0.2, maximum: 1), logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        let read = try await catalog.uploadJob(id: "j")
        var job = try XCTUnwrap(read)
        for _ in 0..<600 where job.state != .done && job.state != .failed {
            try await Task.sleep(for: .milliseconds(100))
            let read2 = try await catalog.uploadJob(id: "j")
            job = try XCTUnwrap(read2)
        }
        let log = proxy.stop()
        XCTAssertEqual(job.state, .done, "job: \(job); proxy: \(log)")
        XCTAssertGreaterThan(job.attempts, 1, "the faults cost attempts")
        for fault in ["503", "reset", "lost", "delay", "500"] {
            XCTAssertTrue(log.contains { $0.split(separator: " ").dropFirst().first.map(String.init) == fault }, "\(fault) was never injected: \(log)")
        }
        let contents = try server.contents(bucket: "recordings")
        XCTAssertEqual(contents.keys, ["room-101/Recordings/\(recording.filename)"], "one object")
        XCTAssertEqual(contents.openUploads, 0, "no multipart upload left behind")
        XCTAssertEqual(try server.object(bucket: "recordings", key: contents.keys[0]).sha256, recording.sha256)
    }
}

/// How a file is cut into parts.
final class S3PartSizeTests: XCTestCase {
    func testALargeFileGetsPartsLargeEnoughForS3sTenThousandPartLimit() {
        XCTAssertEqual(S3Target.partSize(forFileOf: 65 << 30, preferred: 16 << 20), 16 << 20, "24 h at 6 Mbit/s fits in 16 MiB parts")
        let large: Int64 = 300 << 30  // 24 h at about 30 Mbit/s
        let size = S3Target.partSize(forFileOf: large, preferred: 16 << 20)
        XCTAssertEqual(size % (1 << 20), 0)
        XCTAssertLessThanOrEqual((large + Int64(size) - 1) / Int64(size), 10_000)
        XCTAssertGreaterThan(size, 16 << 20)
    }
}
