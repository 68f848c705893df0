import Catalog
import Foundation
import RecorderCore
import TestSupport
import XCTest

final class CatalogDatabaseTests: XCTestCase {
    static func recording(_ id: String, start: Date = Date(), path: String = "/tmp/none.mp4") -> Recording {
        Recording(recordingId: id, roomId: "room-101", title: "T", name: "Rec - x - T", filename: "Rec - x - T.mp4", status: .active,
                  owner: "o", initiator: "i", startDate: start, path: path)
    }

    static func job(_ id: String, recording: String, priority: Int = 0, created: Date, due: Date? = nil) -> UploadJob {
        UploadJob(jobId: id, recordingId: recording, target: .folder, priority: priority, nextAttemptAt: due ?? created, totalBytes: 10,
                  createdAt: created, updatedAt: created)
    }

    func testOpensInWALModeAndMigratesOnce() async throws {
        let dir = try TemporaryDirectory()
        let path = "\(dir.path)/roomrec.sqlite"
        let catalog = try CatalogDatabase(path: path)
        let read = try await catalog.journalMode()
        XCTAssertEqual(read, "wal")
        try await catalog.insert(Self.recording("a"))
        // Opening again runs no migration twice and keeps the data.
        let reopened = try CatalogDatabase(path: path)
        let again = try await reopened.recording(id: "a")
        XCTAssertEqual(again?.recordingId, "a")
    }

    func testFinishingARecordingQueuesItsUploadInTheSameTransaction() async throws {
        let catalog = try CatalogDatabase.inMemory()
        var recording = Self.recording("r1")
        try await catalog.insert(recording)
        recording.status = .complete
        recording.sha256 = "abc"
        try await catalog.finish(recording, queueing: Self.job("j1", recording: "r1", created: Date()))
        let read = try await catalog.recording(id: "r1")
        XCTAssertEqual(read?.status, .complete)
        let read2 = try await catalog.uploadJobs()
        XCTAssertEqual(read2.map(\.jobId), ["j1"])

        // A second job for the same recording and target is refused, and the recording's update with it.
        recording.reason = "must not be stored"
        do {
            try await catalog.finish(recording, queueing: Self.job("j2", recording: "r1", created: Date()))
            XCTFail("a second job for one recording and target was stored")
        } catch {}
        let read4 = try await catalog.recording(id: "r1")
        XCTAssertNil(read4?.reason)
        let read5 = try await catalog.uploadJobs()
        XCTAssertEqual(read5.count, 1)
    }

    func testTheRecordingShowsItsNewestUploadJobsState() async throws {
        let catalog = try CatalogDatabase.inMemory()
        var recording = Self.recording("r1")
        try await catalog.insert(recording)
        let read = try await catalog.recording(id: "r1")
        XCTAssertNil(read?.uploadStatus, "nothing queued yet")
        recording.status = .complete
        let created = Date()
        var job = Self.job("j1", recording: "r1", created: created)
        try await catalog.finish(recording, queueing: job)
        let read2 = try await catalog.recording(id: "r1")
        XCTAssertEqual(read2?.uploadStatus, .queued)
        for (state, expected) in [(UploadState.uploading, RecordingUploadStatus.uploading), (.paused, .queued), (.failed, .failed), (.done, .uploaded)] {
            job.state = state
            try await catalog.update(job)
            let read3 = try await catalog.recording(id: "r1")
            XCTAssertEqual(read3?.uploadStatus, expected, "\(state)")
        }
        // A copy of the recording held from before (its status stale) does not write the old status back.
        recording.title = "New title"
        try await catalog.update(recording)
        let read4 = try await catalog.recording(id: "r1")
        XCTAssertEqual(read4?.uploadStatus, .uploaded)
        let read5 = try await catalog.recording(id: "r1")
        XCTAssertEqual(read5?.title, "New title")
    }

    func testJobsAreClaimedByPriorityThenAgeAndOnlyWhenDue() async throws {
        let catalog = try CatalogDatabase.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for id in ["old", "new", "urgent", "later"] { try await catalog.insert(Self.recording(id)) }
        try await catalog.finish(Self.recording("old"), queueing: Self.job("old", recording: "old", created: t0))
        try await catalog.finish(Self.recording("new"), queueing: Self.job("new", recording: "new", created: t0 + 10))
        try await catalog.finish(Self.recording("urgent"), queueing: Self.job("urgent", recording: "urgent", priority: 5, created: t0 + 20))
        try await catalog.finish(Self.recording("later"), queueing: Self.job("later", recording: "later", priority: 9, created: t0, due: t0 + 3600))

        let now = t0 + 60
        let read = try await catalog.nextDueDate()
        XCTAssertEqual(read, t0)
        let read2 = try await catalog.claimNextJob(now: now)
        let first = try XCTUnwrap(read2)
        XCTAssertEqual(first.jobId, "urgent")
        XCTAssertEqual(first.state, .uploading)
        XCTAssertEqual(first.attempts, 1)
        let read3 = try await catalog.claimNextJob(now: now)
        XCTAssertEqual(read3?.jobId, "old")
        let read4 = try await catalog.claimNextJob(now: now)
        XCTAssertEqual(read4?.jobId, "new")
        let read5 = try await catalog.claimNextJob(now: now)
        XCTAssertNil(read5, "the job due in an hour must wait")
        let read6 = try await catalog.claimNextJob(now: t0 + 3600)
        XCTAssertEqual(read6?.jobId, "later")

        // After a crash, jobs left uploading go back to the queue with their attempts kept.
        let read7 = try await catalog.requeueInterruptedJobs(now: now)
        XCTAssertEqual(read7, 4)
        let read8 = try await catalog.queueCounts()
        XCTAssertEqual(read8, [.queued: 4])
        let read9 = try await catalog.uploadJob(id: "urgent")
        XCTAssertEqual(read9?.attempts, 1)
    }

    func testUnfinishedRecordingsAreFound() async throws {
        let catalog = try CatalogDatabase.inMemory()
        var done = Self.recording("done")
        done.status = .complete
        try await catalog.insert(done)
        try await catalog.insert(Self.recording("active"))
        var ending = Self.recording("ending")
        ending.status = .ending
        try await catalog.insert(ending)
        let read = try await catalog.unfinishedRecordings()
        XCTAssertEqual(Set(read.map(\.recordingId)), ["active", "ending"])
    }
}
