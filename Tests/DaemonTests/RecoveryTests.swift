import Catalog
import ControlContract
@testable import Daemon
import DurableFiles
import Foundation
import Logging
import Media
import RecorderCore
import TestSupport
import Uploads
import XCTest

/// What `roomrecd` finds after a crash at each step of finalizing, and what it makes of it.
final class RecoveryTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var config = RoomRecorderConfig()
    private var catalog: CatalogDatabase!
    private var daemon: RecorderDaemon!

    override func setUp() async throws {
        directory = try TemporaryDirectory()
        config.recording.outputDirectory = "\(directory.path)/recordings"
        config.library.path = "\(directory.path)/library"
        try FileManager.default.createDirectory(atPath: config.recording.outputDirectory, withIntermediateDirectories: true)
        catalog = try CatalogDatabase(path: "\(directory.path)/roomrec.sqlite")
        let queue = UploadQueue(catalog: catalog, targets: [LocalFolderTarget(root: config.library.path)], logger: Logger(label: "test"))
        daemon = await RecorderDaemon(config: config, catalog: catalog, uploads: queue, logger: Logger(label: "test"))
    }

    override func tearDown() {
        // XCTest keeps test case objects until the run ends: let the catalog and the files go now.
        daemon = nil
        catalog = nil
        directory = nil
    }

    /// A recording row as the daemon stores it while recording, with its fragmented file written.
    private func interruptedRecording(_ id: String, seconds: Double = 2) async throws -> Recording {
        let working = RecordingFinalizer.workingPath(id: id, in: config.recording.outputDirectory)
        try recordSyntheticStage(seconds: seconds, to: working)
        let recording = Recording(recordingId: id, roomId: "room", title: "T", name: "Rec - 2026-11-23 10:00:00 - T",
                                  filename: "Rec - 2026-11-23 10-00-00 - T.mp4", status: .active, owner: nil, initiator: "uid 0",
                                  startDate: Date(), path: working, workingPath: working)
        try await catalog.insert(recording)
        return recording
    }

    private var outputFiles: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: config.recording.outputDirectory)) ?? []).sorted() }

    func testARecordingCutOffWhileActiveIsFinalizedAndQueued() async throws {
        _ = try await interruptedRecording("a")
        await daemon.recoverUnfinished()
        let read = try await catalog.recording(id: "a")
        let recovered = try XCTUnwrap(read)
        XCTAssertEqual(recovered.status, .recovered)
        XCTAssertNil(recovered.workingPath)
        XCTAssertEqual(recovered.duration ?? 0, 2, accuracy: 0.5)
        XCTAssertEqual(recovered.sha256, try FileDigest.sha256(path: recovered.path))
        XCTAssertEqual(outputFiles, ["Rec - 2026-11-23 10-00-00 - T.mp4"], "the working file is gone once the result is stored")
        let read2 = try await catalog.uploadJobs()
        XCTAssertEqual(read2.map(\.recordingId), ["a"])
    }

    func testATornLastFragmentIsCutOffAndTheRestPlays() async throws {
        // 2.5 s: whole fragments to 2 s and a half-second one to tear. With 3 s, a recording that ran a frame
        // long ended in a one-frame fragment of its own (a keyframe), and tearing that lost no second.
        let recording = try await interruptedRecording("t", seconds: 2.5)
        let working = try XCTUnwrap(recording.workingPath)
        // A power loss: the last fragment only half written, then zeros where the file was extended.
        let whole = try FileSync.size(of: working)
        XCTAssertEqual(truncate(working, off_t(whole - 20_000)), 0)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: working))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 4096))
        try handle.close()

        await daemon.recoverUnfinished()
        let read = try await catalog.recording(id: "t")
        let recovered = try XCTUnwrap(read)
        XCTAssertEqual(recovered.status, .recovered)
        XCTAssertLessThan(recovered.size ?? .max, whole - 20_000, "cut back to the last whole fragment")
        XCTAssertEqual(recovered.duration ?? 0, 2, accuracy: 0.6, "one one-second fragment lost")
        XCTAssertEqual(recovered.sha256, try FileDigest.sha256(path: recovered.path))
        let probe = try FFprobe.run(recovered.path)
        XCTAssertEqual(probe.recordingMismatches, [])
        XCTAssertEqual(try FFprobe.decodeErrors(recovered.path), [], "every packet left decodes")
    }

    func testACrashHalfwayThroughTheRenameMakesNoSecondFile() async throws {
        var recording = try await interruptedRecording("b")
        // The daemon had chosen and read the final path, linked the file to it, and died before the unlink.
        recording.path = "\(config.recording.outputDirectory)/\(recording.filename)"
        recording.status = .ending
        try await catalog.update(recording)
        XCTAssertEqual(link(recording.workingPath!, recording.path), 0)

        await daemon.recoverUnfinished()
        XCTAssertEqual(outputFiles, ["Rec - 2026-11-23 10-00-00 - T.mp4"], "no \"(2)\" copy")
        let read2 = try await catalog.recording(id: "b")
        XCTAssertEqual(read2?.status, .recovered)
        let read3 = try await catalog.uploadJobs()
        XCTAssertEqual(read3.count, 1)
    }

    func testAFinalizedFileWhoseWorkingFileIsGoneIsStoredAsIs() async throws {
        var recording = try await interruptedRecording("c")
        recording.path = "\(config.recording.outputDirectory)/\(recording.filename)"
        try await catalog.update(recording)
        try MP4Finalizer.finalize(finished: recording.workingPath!, to: recording.path)

        await daemon.recoverUnfinished()
        let read = try await catalog.recording(id: "c")
        let read2 = try XCTUnwrap(read)
        XCTAssertEqual(read2.status, .recovered)
        XCTAssertEqual(read2.duration ?? 0, 2, accuracy: 0.5)
        let read3 = try await catalog.uploadJobs()
        XCTAssertEqual(read3.count, 1)
    }

    func testAWorkingFileLeftAfterTheResultWasStoredIsRemoved() async throws {
        var recording = try await interruptedRecording("d")
        let working = recording.workingPath!
        recording.path = "\(config.recording.outputDirectory)/\(recording.filename)"
        try FileManager.default.copyItem(atPath: working, toPath: recording.path)
        recording.status = .complete
        recording.workingPath = nil
        try await catalog.update(recording)

        await daemon.recoverUnfinished()
        XCTAssertFalse(FileManager.default.fileExists(atPath: working))
        let read = try await catalog.recording(id: "d")
        XCTAssertEqual(read?.status, .complete, "a stored result is left as it is")
    }

    func testAFailedFinalizingIsTriedAgainAndKeepsItsReason() async throws {
        var recording = try await interruptedRecording("e")
        recording.status = .failed
        recording.reason = "the disk was full"
        try await catalog.update(recording)

        await daemon.recoverUnfinished()
        let read = try await catalog.recording(id: "e")
        let read2 = try XCTUnwrap(read)
        XCTAssertEqual(read2.status, .aborted, "an early end is never reported complete")
        XCTAssertEqual(read2.reason, "the disk was full")
        let read3 = try await catalog.uploadJobs()
        XCTAssertEqual(read3.count, 1)
    }

    func testARecordingWithoutAnyFileFails() async throws {
        let recording = try await interruptedRecording("f")
        try FileManager.default.removeItem(atPath: recording.workingPath!)
        await daemon.recoverUnfinished()
        let read = try await catalog.recording(id: "f")
        let read2 = try XCTUnwrap(read)
        XCTAssertEqual(read2.status, .failed)
        XCTAssertTrue(read2.reason?.contains("no file was written") ?? false, read2.reason ?? "")
        let read3 = try await catalog.uploadJobs()
        XCTAssertTrue(read3.isEmpty)
        let read4 = try await catalog.unfinishedRecordings()
        XCTAssertTrue(read4.isEmpty, "nothing is left to try again")
    }

    func testDeliveredFilesGoAfterTheirRetentionAndUndeliveredOnesStay() async throws {
        config.uploads.retentionDays = 1
        config.uploads.minimumFreeBytes = 0
        let queue = UploadQueue(catalog: catalog, targets: [], logger: Logger(label: "test"))
        let daemon = await RecorderDaemon(config: config, catalog: catalog, uploads: queue, logger: Logger(label: "test"))
        var paths: [String: String] = [:]
        for id in ["delivered", "pending"] {
            let path = "\(config.recording.outputDirectory)/\(id).mp4"
            try Data(count: 1000).write(to: URL(fileURLWithPath: path))
            paths[id] = path
            let recording = Recording(recordingId: id, roomId: "room", title: "T", name: "n", filename: "\(id).mp4", status: .complete,
                                      owner: nil, initiator: nil, startDate: Date(), size: 1000, sha256: "x", path: path)
            try await catalog.insert(recording)
            let confirmed = Date().addingTimeInterval(-2 * 86_400)
            try await catalog.finish(recording, queueing: UploadJob(jobId: "job-\(id)", recordingId: id, target: .folder,
                                                             state: id == "delivered" ? .done : .failed, nextAttemptAt: confirmed,
                                                             totalBytes: 1000, createdAt: confirmed, updatedAt: confirmed))
        }
        await daemon.enforceRetention()
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths["delivered"]!))
        let read = try await catalog.recording(id: "delivered")
        XCTAssertNotNil(read?.localRemovedAt)
        XCTAssertTrue(FileManager.default.fileExists(atPath: paths["pending"]!), "a file whose upload is not confirmed stays")
        let read2 = try await catalog.recording(id: "pending")
        XCTAssertNil(read2?.localRemovedAt)
    }

    func testNoRecordingStartsOnceShuttingDown() async throws {
        await daemon.controller.shutdown(reason: "test")
        do {
            _ = try await daemon.startRecording(StartRecordingRequest(), caller: Caller(uid: 0, gid: 0, pid: 1))
            XCTFail("expected a refusal")
        } catch {
            XCTAssertEqual(error, .unavailable("roomrecd is shutting down"))
        }
    }
}
