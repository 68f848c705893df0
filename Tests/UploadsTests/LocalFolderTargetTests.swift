import Foundation
import RecorderCore
import TestSupport
import Uploads
import XCTest

final class LocalFolderTargetTests: XCTestCase {
    /// A recording whose file holds `bytes` pseudo-random bytes.
    static func recording(in dir: TemporaryDirectory, bytes: Int, id: String = "rec-1") throws -> Recording {
        let path = "\(dir.path)/source-\(id).mp4"
        var generator = SystemRandomNumberGenerator()
        var words = [UInt64](repeating: 0, count: (bytes + 7) / 8)
        for index in words.indices { words[index] = generator.next() }
        let data = words.withUnsafeBytes { Data($0.prefix(bytes)) }
        try data.write(to: URL(fileURLWithPath: path))
        return Recording(recordingId: id, roomId: "room-101", title: "T", name: "Rec - 2026-11-23 14:05:09 - T",
                         filename: "Rec - 2026-11-23 14-05-09 - T.mp4", status: .complete, owner: nil, initiator: nil,
                         startDate: Date(), size: Int64(bytes), sha256: try FileDigest.sha256(path: path), path: path)
    }

    func testDeliversIntoTheRoomsRecordingsFolderInChunks() async throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(in: dir, bytes: 100_000)
        let target = LocalFolderTarget(root: "\(dir.path)/library", chunkSize: 30_000)
        let reports = Reports()
        let final = try await target.deliver(recording, from: UploadCheckpoint()) { await reports.add($0) }
        let expected = "\(dir.path)/library/room-101/Recordings/Rec - 2026-11-23 14-05-09 - T.mp4"
        XCTAssertEqual(final, UploadCheckpoint(remoteId: expected, bytesConfirmed: 100_000))
        XCTAssertEqual(try FileDigest.sha256(path: expected), recording.sha256)
        let confirmed = await reports.all.map(\.bytesConfirmed)
        XCTAssertEqual(confirmed, [30_000, 60_000, 90_000, 100_000])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/library/room-101/Recordings")
        XCTAssertEqual(leftovers, ["Rec - 2026-11-23 14-05-09 - T.mp4"], "no partial file is left behind")
    }

    func testResumesFromTheLastCheckpointAndDropsUnconfirmedBytes() async throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(in: dir, bytes: 100_000)
        let target = LocalFolderTarget(root: "\(dir.path)/library", chunkSize: 30_000)
        // A first attempt dies after two chunks: the queue stored the checkpoint of 60 000 bytes.
        let stored = try await interruptedDelivery(of: recording, to: target) { $0.bytesConfirmed >= 60_000 }
        // Garbage written after the checkpoint (a torn write before the crash) must not survive.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: stored.remoteId!))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0xEE, count: 5000))
        try handle.close()

        let secondRun = Reports()
        let final = try await target.deliver(recording, from: stored) { await secondRun.add($0) }
        let resumed = await secondRun.all.map(\.bytesConfirmed)
        XCTAssertEqual(resumed, [90_000, 100_000], "confirmed bytes are not copied again")
        XCTAssertEqual(try FileDigest.sha256(path: final.remoteId!), recording.sha256)
    }

    func testDeliveringAgainAfterACrashMakesNoSecondCopy() async throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(in: dir, bytes: 10_000)
        let target = LocalFolderTarget(root: "\(dir.path)/library")
        let first = try await target.deliver(recording, from: UploadCheckpoint()) { _ in }
        // The queue died before storing `done`: it runs the job again from the partial-file checkpoint.
        let again = try await target.deliver(recording, from: UploadCheckpoint(remoteId: first.remoteId, bytesConfirmed: 10_000)) { _ in }
        XCTAssertEqual(again.remoteId, first.remoteId)
        let fromScratch = try await target.deliver(recording, from: UploadCheckpoint()) { _ in }
        XCTAssertEqual(fromScratch.remoteId, first.remoteId, "the same content under the same name counts as delivered")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir.path)/library/room-101/Recordings").count, 1)
    }

    func testAnotherFileWithTheSameNameIsKeptAndTheRecordingNumbered() async throws {
        let dir = try TemporaryDirectory()
        let recording = try Self.recording(in: dir, bytes: 10_000)
        let folder = "\(dir.path)/library/room-101/Recordings"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("someone else's file".utf8).write(to: URL(fileURLWithPath: "\(folder)/\(recording.filename)"))
        let final = try await LocalFolderTarget(root: "\(dir.path)/library").deliver(recording, from: UploadCheckpoint()) { _ in }
        XCTAssertEqual(final.remoteId, "\(folder)/Rec - 2026-11-23 14-05-09 - T (2).mp4")
        XCTAssertEqual(try String(contentsOfFile: "\(folder)/\(recording.filename)", encoding: .utf8), "someone else's file")
    }

    func testAMissingSourceIsAPermanentError() async throws {
        let dir = try TemporaryDirectory()
        var recording = try Self.recording(in: dir, bytes: 10)
        recording.path = "\(dir.path)/gone.mp4"
        do {
            _ = try await LocalFolderTarget(root: "\(dir.path)/library").deliver(recording, from: UploadCheckpoint()) { _ in }
            XCTFail("expected an error")
        } catch let error as PermanentUploadError {
            XCTAssertTrue(error.message.contains("missing"), error.message)
        }
    }
}

/// Checkpoints reported by a target, in order.
actor Reports {
    private(set) var all: [UploadCheckpoint] = []
    func add(_ checkpoint: UploadCheckpoint) { all.append(checkpoint) }
}

func XCTUnwrapAsync<T>(_ value: T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    try XCTUnwrap(value, file: file, line: line)
}

/// Delivers `recording` until `stop` holds for a reported checkpoint, then interrupts the delivery there, as a kill
/// would, and returns the last checkpoint reported: what the queue had stored. Fails if it was not interrupted.
func interruptedDelivery(of recording: Recording, to target: some UploadTarget, file: StaticString = #filePath, line: UInt = #line,
                         when stop: @escaping @Sendable (UploadCheckpoint) -> Bool) async throws -> UploadCheckpoint {
    let reports = Reports()
    do {
        _ = try await target.deliver(recording, from: UploadCheckpoint()) { checkpoint in
            await reports.add(checkpoint)
            if stop(checkpoint) { throw CancellationError() }
        }
        XCTFail("the delivery should have been interrupted", file: file, line: line)
    } catch is CancellationError {}
    return try await XCTUnwrapAsync(await reports.all.last, file: file, line: line)
}
