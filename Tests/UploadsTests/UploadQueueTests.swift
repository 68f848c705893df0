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
        let kind = LibraryTarget.folder
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
        try await catalog.insert(recording)
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let job = UploadJob(jobId: "job-1", recordingId: recording.recordingId, target: .folder, nextAttemptAt: clock.now,
                            totalBytes: 50_000, createdAt: clock.now, updatedAt: clock.now)
        try await catalog.finish(recording, queueing: job)
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
        try await catalog.insert(recording)
        let now = Date()
        try await catalog.finish(recording, queueing: UploadJob(jobId: "j", recordingId: recording.recordingId, target: .folder,
                                                          nextAttemptAt: now, totalBytes: 20_000, createdAt: now, updatedAt: now))
        _ = try await catalog.claimNextJob(now: now)  // the previous process claimed it, then died
        let read = try await catalog.uploadJob(id: "j")
        XCTAssertEqual(read?.state, .uploading)

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
        try await catalog.insert(recording)
        let now = Date()
        try await catalog.finish(recording, queueing: UploadJob(jobId: "j", recordingId: recording.recordingId, target: .folder,
                                                          nextAttemptAt: now, totalBytes: 10, createdAt: now, updatedAt: now))
        let queue = UploadQueue(catalog: catalog, targets: [LocalFolderTarget(root: "\(dir.path)/library")], logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        let failed = try await waitFor(catalog, "j") { $0.state == .failed }
        XCTAssertTrue(failed.lastError!.contains("missing"))
    }

    /// A target that reports a first checkpoint, then takes `seconds` (or until it is stopped) to finish, and
    /// counts how many deliveries run at once and where each started.
    struct SlowTarget: UploadTarget {
        let kind = LibraryTarget.folder
        let seconds: Double
        let tracker: Tracker

        func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                     report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
            await tracker.enter(from: checkpoint.bytesConfirmed)
            do {
                try await report(UploadCheckpoint(remoteId: "slow:\(recording.recordingId)", bytesConfirmed: max(checkpoint.bytesConfirmed, 1000)))
                try await Task.sleep(for: .seconds(checkpoint.bytesConfirmed > 0 ? 0 : seconds))
            } catch {
                await tracker.leave()
                throw error
            }
            await tracker.leave()
            return UploadCheckpoint(remoteId: "slow:\(recording.recordingId)", bytesConfirmed: recording.size ?? 0)
        }
    }

    actor Tracker {
        private(set) var current = 0
        private(set) var most = 0
        private(set) var starts: [Int64] = []
        func enter(from offset: Int64) {
            current += 1
            most = max(most, current)
            starts.append(offset)
        }
        func leave() { current -= 1 }
    }

    private func queued(_ count: Int, in dir: TemporaryDirectory, catalog: CatalogDatabase, at now: Date) async throws {
        for index in 1...count {
            let recording = try LocalFolderTargetTests.recording(in: dir, bytes: 2000, id: "rec-\(index)")
            try await catalog.insert(recording)
            try await catalog.finish(recording, queueing: UploadJob(jobId: "job-\(index)", recordingId: recording.recordingId, target: .folder,
                                                              nextAttemptAt: now, totalBytes: 2000, createdAt: now.addingTimeInterval(Double(index)),
                                                              updatedAt: now))
        }
    }

    func testWorkersDeliverThatManyJobsAtOnce() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        try await queued(3, in: dir, catalog: catalog, at: Date())
        let tracker = Tracker()
        let queue = UploadQueue(catalog: catalog, targets: [SlowTarget(seconds: 0.5, tracker: tracker)], workers: 2, logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        for id in ["job-1", "job-2", "job-3"] { _ = try await waitFor(catalog, id) { $0.state == .done } }
        let most = await tracker.most
        XCTAssertEqual(most, 2, "two workers, three jobs")
    }

    func testNoJobRunsOutsideTheUploadWindowsAndOneStartsWhenAWindowOpens() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        let noon = ISO8601.date("2026-11-23T12:00:00Z")!
        let clock = TestClock(noon)
        try await queued(1, in: dir, catalog: catalog, at: noon)
        let windows = UploadWindows([UploadWindows.Window("18:00-07:00")!], timeZone: TimeZone(identifier: "UTC")!)
        let tracker = Tracker()
        let queue = UploadQueue(catalog: catalog, targets: [SlowTarget(seconds: 0, tracker: tracker)], windows: windows,
                                now: { clock.now }, logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        let read = try await catalog.uploadJob(id: "job-1")
        XCTAssertEqual(read?.state, .queued)
        let reason = await queue.closedReason()
        XCTAssertEqual(reason, "outside the upload windows (18:00-07:00)")

        clock.advance(6 * 3600)
        await queue.wake()
        _ = try await waitFor(catalog, "job-1") { $0.state == .done }
        let open = await queue.closedReason()
        XCTAssertNil(open)
    }

    func testAHoldStopsARunningJobAtItsCheckpointAndItResumesFromThereOnRelease() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        try await queued(1, in: dir, catalog: catalog, at: Date())
        let tracker = Tracker()
        let queue = UploadQueue(catalog: catalog, targets: [SlowTarget(seconds: 30, tracker: tracker)], logger: Logger(label: "test"))
        let runner = Task { await queue.run() }
        defer { runner.cancel() }
        _ = try await waitFor(catalog, "job-1") { $0.state == .uploading && $0.bytesConfirmed == 1000 }

        await queue.hold("a recording is running")
        let held = try await waitFor(catalog, "job-1") { $0.state == .queued }
        XCTAssertEqual(held.bytesConfirmed, 1000, "the checkpoint stays")
        XCTAssertEqual(held.attempts, 0, "a hold is not a failed attempt")
        XCTAssertNil(held.lastError)
        try await Task.sleep(for: .milliseconds(200))
        let read = try await catalog.uploadJob(id: "job-1")
        XCTAssertEqual(read?.state, .queued, "nothing starts while held")

        await queue.release("a recording is running")
        _ = try await waitFor(catalog, "job-1") { $0.state == .done }
        let starts = await tracker.starts
        XCTAssertEqual(starts, [0, 1000], "resumed from the checkpoint")
    }

    func testAWholeQueuePauseIsKeptAcrossARestart() async throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        let flag = "\(dir.path)/uploads-paused"
        let first = UploadQueue(catalog: catalog, targets: [], pauseFlag: flag, logger: Logger(label: "test"))
        await first.pauseAll()
        let restarted = UploadQueue(catalog: catalog, targets: [], pauseFlag: flag, logger: Logger(label: "test"))
        let paused = await restarted.isPaused
        XCTAssertTrue(paused)
        await restarted.resumeAll()
        XCTAssertFalse(FileManager.default.fileExists(atPath: flag))
        let again = await UploadQueue(catalog: catalog, targets: [], pauseFlag: flag, logger: Logger(label: "test")).isPaused
        XCTAssertFalse(again)
    }

    /// Polls the catalog until the job satisfies `condition` (10 s at most).
    private func waitFor(_ catalog: CatalogDatabase, _ id: String, _ condition: (UploadJob) -> Bool) async throws -> UploadJob {
        for _ in 0..<200 {
            let read = try await catalog.uploadJob(id: id)
            if let job = read, condition(job) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        let read2 = try await catalog.uploadJob(id: id)
        throw ProcessRunner.Failure(message: "job \(id) never reached the expected state: \(String(describing: read2))")
    }
}
