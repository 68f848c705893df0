import Catalog
import Foundation
import Logging
import RecorderCore
import TestSupport
import Uploads
import XCTest

final class UploadQueueTests: XCTestCase {
    /// A target that fails its first `failures` deliveries with a transient error, then copies into a folder.
    struct FlakyFolderTarget: UploadTarget {
        let kind = "folder"
        let inner: LocalFolderTarget
        let attempts: Counter
        let failures: Int

        func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                     report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
            if await attempts.next() <= failures { throw UploadError("network unreachable (simulated)") }
            return try await inner.deliver(recording, from: checkpoint, report: report)
        }
    }

    actor Counter {
        private var value = 0
        func next() -> Int { value += 1; return value }
    }

    /// A clock the test moves by hand.
    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        init(_ start: Date) { current = start }
        var now: Date { lock.withLock { current } }
        func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    }

    func testAFailedAttemptIsRetriedWithBackOffUntilDone() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        let recording = try LocalFolderTargetTests.recording(in: dir, bytes: 50_000)
        try catalog.insert(recording)
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let job = UploadJob(jobId: "job-1", recordingId: recording.recordingId, target: "folder", nextAttemptAt: clock.now,
                            totalBytes: 50_000, createdAt: clock.now, updatedAt: clock.now)
        try catalog.finish(recording, queueing: job)
        let target = FlakyFolderTarget(inner: LocalFolderTarget(root: "\(dir.path)/library"), attempts: Counter(), failures: 1)
        let queue = UploadQueue(catalog: catalog, targets: [target], retry: RetryPolicy(base: 30, maximum: 600) { $0 },
                                now: { clock.now }, logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }

        let failed = try await waitFor(catalog, "job-1") { $0.lastError != nil && $0.state == .queued }
        XCTAssertEqual(failed.attempts, 1)
        XCTAssertEqual(failed.nextAttemptAt, clock.now + 30, "retried after the policy's first delay")
        XCTAssertTrue(failed.lastError!.contains("network unreachable"))

        clock.advance(30)
        await queue.wake()
        let done = try await waitFor(catalog, "job-1") { $0.state == .done }
        XCTAssertEqual(done.attempts, 2)
        XCTAssertEqual(done.bytesConfirmed, 50_000)
        XCTAssertNil(done.lastError)
        XCTAssertEqual(try FileDigest.sha256(path: done.remoteId!), recording.sha256)
    }

    func testAJobLeftUploadingByACrashResumesAndFinishes() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        let recording = try LocalFolderTargetTests.recording(in: dir, bytes: 20_000)
        try catalog.insert(recording)
        let now = Date()
        try catalog.finish(recording, queueing: UploadJob(jobId: "j", recordingId: recording.recordingId, target: "folder",
                                                          nextAttemptAt: now, totalBytes: 20_000, createdAt: now, updatedAt: now))
        _ = try catalog.claimNextJob(now: now)  // the previous process claimed it, then died
        XCTAssertEqual(try catalog.uploadJob(id: "j")?.state, .uploading)

        let queue = UploadQueue(catalog: catalog, targets: [LocalFolderTarget(root: "\(dir.path)/library")], logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        let done = try await waitFor(catalog, "j") { $0.state == .done }
        XCTAssertEqual(done.attempts, 2)
    }

    func testAMissingFileFailsForGood() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        var recording = try LocalFolderTargetTests.recording(in: dir, bytes: 10)
        recording.path = "\(dir.path)/gone.mp4"
        try catalog.insert(recording)
        let now = Date()
        try catalog.finish(recording, queueing: UploadJob(jobId: "j", recordingId: recording.recordingId, target: "folder",
                                                          nextAttemptAt: now, totalBytes: 10, createdAt: now, updatedAt: now))
        let queue = UploadQueue(catalog: catalog, targets: [LocalFolderTarget(root: "\(dir.path)/library")], logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        let failed = try await waitFor(catalog, "j") { $0.state == .failed }
        XCTAssertTrue(failed.lastError!.contains("missing"))
    }

    /// Polls the catalog until the job satisfies `condition` (10 s at most).
    private func waitFor(_ catalog: CatalogDatabase, _ id: String, _ condition: (UploadJob) -> Bool) async throws -> UploadJob {
        for _ in 0..<200 {
            if let job = try catalog.uploadJob(id: id), condition(job) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessRunner.Failure(message: "job \(id) never reached the expected state: \(String(describing: try catalog.uploadJob(id: id)))")
    }
}
