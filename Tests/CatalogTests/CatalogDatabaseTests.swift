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
        UploadJob(jobId: id, recordingId: recording, target: "folder", priority: priority, nextAttemptAt: due ?? created, totalBytes: 10,
                  createdAt: created, updatedAt: created)
    }

    func testOpensInWALModeAndMigratesOnce() throws {
        let dir = try TemporaryDirectory()
        let path = "\(dir.path)/roomrec.sqlite"
        let catalog = try CatalogDatabase(path: path)
        XCTAssertEqual(try catalog.journalMode(), "wal")
        try catalog.insert(Self.recording("a"))
        // Opening again runs no migration twice and keeps the data.
        let reopened = try CatalogDatabase(path: path)
        XCTAssertEqual(try reopened.recording(id: "a")?.recordingId, "a")
    }

    func testFinishingARecordingQueuesItsUploadInTheSameTransaction() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        var recording = Self.recording("r1")
        try catalog.insert(recording)
        recording.status = .complete
        recording.sha256 = "abc"
        try catalog.finish(recording, queueing: Self.job("j1", recording: "r1", created: Date()))
        XCTAssertEqual(try catalog.recording(id: "r1")?.status, .complete)
        XCTAssertEqual(try catalog.uploadJobs().map(\.jobId), ["j1"])

        // A second job for the same recording and target is refused, and the recording's update with it.
        recording.reason = "must not be stored"
        XCTAssertThrowsError(try catalog.finish(recording, queueing: Self.job("j2", recording: "r1", created: Date())))
        XCTAssertNil(try catalog.recording(id: "r1")?.reason)
        XCTAssertEqual(try catalog.uploadJobs().count, 1)
    }

    func testTheRecordingShowsItsNewestUploadJobsState() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        var recording = Self.recording("r1")
        try catalog.insert(recording)
        XCTAssertNil(try catalog.recording(id: "r1")?.uploadStatus, "nothing queued yet")
        recording.status = .complete
        let created = Date()
        var job = Self.job("j1", recording: "r1", created: created)
        try catalog.finish(recording, queueing: job)
        XCTAssertEqual(try catalog.recording(id: "r1")?.uploadStatus, .queued)
        for (state, expected) in [(UploadState.uploading, RecordingUploadStatus.uploading), (.paused, .queued), (.failed, .failed), (.done, .uploaded)] {
            job.state = state
            try catalog.update(job)
            XCTAssertEqual(try catalog.recording(id: "r1")?.uploadStatus, expected, "\(state)")
        }
        // A copy of the recording held from before (its status stale) does not write the old status back.
        recording.title = "New title"
        try catalog.update(recording)
        XCTAssertEqual(try catalog.recording(id: "r1")?.uploadStatus, .uploaded)
        XCTAssertEqual(try catalog.recording(id: "r1")?.title, "New title")
    }

    func testJobsAreClaimedByPriorityThenAgeAndOnlyWhenDue() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for id in ["old", "new", "urgent", "later"] { try catalog.insert(Self.recording(id)) }
        try catalog.finish(Self.recording("old"), queueing: Self.job("old", recording: "old", created: t0))
        try catalog.finish(Self.recording("new"), queueing: Self.job("new", recording: "new", created: t0 + 10))
        try catalog.finish(Self.recording("urgent"), queueing: Self.job("urgent", recording: "urgent", priority: 5, created: t0 + 20))
        try catalog.finish(Self.recording("later"), queueing: Self.job("later", recording: "later", priority: 9, created: t0, due: t0 + 3600))

        let now = t0 + 60
        XCTAssertEqual(try catalog.nextDueDate(), t0)
        let first = try XCTUnwrap(catalog.claimNextJob(now: now))
        XCTAssertEqual(first.jobId, "urgent")
        XCTAssertEqual(first.state, .uploading)
        XCTAssertEqual(first.attempts, 1)
        XCTAssertEqual(try catalog.claimNextJob(now: now)?.jobId, "old")
        XCTAssertEqual(try catalog.claimNextJob(now: now)?.jobId, "new")
        XCTAssertNil(try catalog.claimNextJob(now: now), "the job due in an hour must wait")
        XCTAssertEqual(try catalog.claimNextJob(now: t0 + 3600)?.jobId, "later")

        // After a crash, jobs left uploading go back to the queue with their attempts kept.
        XCTAssertEqual(try catalog.requeueInterruptedJobs(now: now), 4)
        XCTAssertEqual(try catalog.queueCounts(), ["queued": 4])
        XCTAssertEqual(try catalog.uploadJob(id: "urgent")?.attempts, 1)
    }

    func testUnfinishedRecordingsAreFound() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: "\(dir.path)/c.sqlite")
        var done = Self.recording("done")
        done.status = .complete
        try catalog.insert(done)
        try catalog.insert(Self.recording("active"))
        var ending = Self.recording("ending")
        ending.status = .ending
        try catalog.insert(ending)
        XCTAssertEqual(Set(try catalog.unfinishedRecordings().map(\.recordingId)), ["active", "ending"])
    }
}
