import DurableFiles
import Foundation
import Networking
import RecorderCore

/// The embedded media library: a local (or mounted) folder. A recording lands in
/// `<root>/<room id>/Recordings/<file name>`; it is copied in chunks to a hidden partial file that is fsync'd
/// after each chunk, checked against the recording's SHA-256, and renamed into place.
public struct LocalFolderTarget: UploadTarget {
    public let kind = LibraryTarget.folder
    public let root: String
    /// Bytes copied between checkpoints.
    public let chunkSize: Int
    /// The queue's bandwidth limit, if any.
    public let throttle: Throttle?

    public init(root: String, chunkSize: Int = 16 << 20, throttle: Throttle? = nil) {
        self.root = root
        self.chunkSize = chunkSize
        self.throttle = throttle
    }

    public func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                        report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        let folder = "\(root)/\(recording.roomId)/Recordings"
        try FileSync.createDirectory(folder)
        guard let expectedDigest = recording.sha256 else { throw PermanentUploadError("recording \(recording.recordingId) has no SHA-256") }
        _ = try fileSize(of: recording)

        // Delivered before a crash, between the rename and the queue's update: the same file is already there.
        if let remote = checkpoint.remoteId, !remote.hasSuffix(".partial"), FileManager.default.fileExists(atPath: remote),
           try await BlockingIO.run({ try FileDigest.sha256(path: remote) }) == expectedDigest {
            return UploadCheckpoint(remoteId: remote, bytesConfirmed: try FileSync.size(of: remote))
        }

        let partial = "\(folder)/.\(recording.recordingId).partial"
        var confirmed = checkpoint.remoteId == partial ? checkpoint.bytesConfirmed : 0
        try await copy(from: recording.path, to: partial, resumingAt: &confirmed) { bytes in
            try await report(UploadCheckpoint(remoteId: partial, bytesConfirmed: bytes))
        }
        guard try await BlockingIO.run({ try FileDigest.sha256(path: partial) }) == expectedDigest else {
            try? FileManager.default.removeItem(atPath: partial)
            throw UploadError("the copy in \(folder) does not match the recording's SHA-256; it will be copied again")
        }
        let fileName = recording.filename
        let destination = try await BlockingIO.run { try Self.moveIntoPlace(partial, named: fileName, in: folder, digest: expectedDigest) }
        return UploadCheckpoint(remoteId: destination, bytesConfirmed: confirmed)
    }

    /// Moves the checked copy to `fileName` in `folder`, or to "name (2).mp4" and so on when another file holds
    /// the name; never replaces another file, even one that appears meanwhile. A file with the same content
    /// counts as this recording, delivered before a crash.
    private static func moveIntoPlace(_ partial: String, named fileName: String, in folder: String, digest: String) throws -> String {
        for n in 1...1000 {
            let candidate = "\(folder)/\(RecordingName.numbered(fileName, n))"
            if try FileSync.moveWithoutReplacing(partial, to: candidate) { return candidate }
            if try FileDigest.sha256(path: candidate) == digest {
                try FileManager.default.removeItem(atPath: partial)
                return candidate
            }
        }
        throw PermanentUploadError("no free file name for \(fileName) in \(folder)")
    }

    /// Removes the partial copy of a cancelled job.
    public func abort(_ checkpoint: UploadCheckpoint) async throws {
        if let partial = checkpoint.remoteId, partial.hasSuffix(".partial") { unlink(partial) }
    }

    /// Copies `source` into `partial` from byte `offset` on, fsyncing and reporting after every chunk.
    private func copy(from source: String, to partial: String, resumingAt offset: inout Int64,
                      report: (Int64) async throws -> Void) async throws {
        if !FileManager.default.fileExists(atPath: partial) {
            guard FileManager.default.createFile(atPath: partial, contents: nil) else {
                throw UploadError("cannot create \(partial): \(String(cString: strerror(errno)))")
            }
            offset = 0
        }
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        defer { try? input.close() }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        defer { try? output.close() }
        // Bytes past the last checkpoint were never confirmed: drop them and continue from there.
        try output.truncate(atOffset: UInt64(offset))
        try input.seek(toOffset: UInt64(offset))
        try output.seek(toOffset: UInt64(offset))
        // Paced copies move in slices of at most 1 MiB, so the limit holds over short spans too.
        let chunkSize = throttle == nil ? self.chunkSize : min(self.chunkSize, 1 << 20)
        while true {
            try Task.checkCancellation()
            let chunk = try await BlockingIO.run { try input.read(upToCount: chunkSize) ?? Data() }
            guard !chunk.isEmpty else { return }
            try await throttle?.take(chunk.count)
            let copied = try await BlockingIO.run { () -> Int in
                try output.write(contentsOf: chunk)
                try output.synchronize()
                return chunk.count
            }
            guard copied > 0 else { return }
            offset += Int64(copied)
            try await report(offset)
        }
    }
}
