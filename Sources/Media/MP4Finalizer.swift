import DurableFiles
import Foundation

/// Moves a recording's working file (the fragmented MP4 ``RecordingWriter`` writes) to its final name.
///
/// The fragmented MP4 is the delivered format, so nothing is copied and finalizing takes the same time for an
/// hour as for a day. A file that was not finished cleanly (a crash, a power loss) first has its torn tail cut
/// off: it is truncated after its last whole fragment, which needs no free space and no pass over the media.
public enum MP4Finalizer {
    /// What a finalized file holds.
    public struct Result: Equatable, Sendable {
        /// Seconds from the first to the end of the last sample of the longest stream.
        public var duration: Double
        public var size: Int64

        public init(duration: Double, size: Int64) {
            self.duration = duration
            self.size = size
        }
    }

    /// Why a working file cannot be made playable.
    public struct Unplayable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Renames a cleanly finished working file to `destination`, never replacing another file there. A move
    /// a crash interrupted (both names on the same file) is completed.
    public static func finalize(finished working: String, to destination: String) throws {
        guard try !FileSync.moveWithoutReplacing(working, to: destination) else { return }
        var a = stat(), b = stat()
        guard stat(working, &a) == 0, stat(destination, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino else {
            throw Unplayable(description: "\(destination) already exists")
        }
        guard unlink(working) == 0 else { throw FileSync.Failure(operation: "unlink", path: working, code: errno) }
    }

    /// Makes a working file that was cut off playable: truncates it after its last whole fragment, syncs it,
    /// renames it to `destination`, and reads its duration.
    public static func finalize(salvaging working: String, to destination: String) throws -> Result {
        let end = try playableLength(of: working)
        let size = try FileSync.size(of: working)
        if end < size {
            guard truncate(working, off_t(end)) == 0 else { throw FileSync.Failure(operation: "truncate", path: working, code: errno) }
        }
        try FileSync.fsyncFile(at: working)
        try finalize(finished: working, to: destination)
        return Result(duration: try duration(of: destination), size: end)
    }

    /// The duration of a finished media file, in seconds.
    public static func duration(of path: String) throws -> Double {
        try InputContainer(path: path).durationSeconds
    }

    /// The length of the playable prefix of a fragmented MP4: up to the end of its last top-level box that is
    /// whole, where a fragment's `moof` counts only together with the whole `mdat` after it. Throws when there
    /// is no `moov` (nothing can be played).
    static func playableLength(of path: String) throws -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileSync.Failure(operation: "open", path: path, code: errno)
        }
        defer { try? handle.close() }
        let fileSize = try FileSync.size(of: path)
        var offset: Int64 = 0
        var playable: Int64 = 0
        var sawMovie = false
        var openFragment = false
        while offset + 8 <= fileSize {
            try handle.seek(toOffset: UInt64(offset))
            guard let header = try handle.read(upToCount: 16), header.count >= 8 else { break }
            var boxSize = Int64(header.prefix(4).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            let type = String(decoding: header[4..<8], as: UTF8.self)
            if boxSize == 1, header.count == 16 {
                boxSize = Int64(bitPattern: header[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
            // Zeros or garbage where a power loss left the file longer than its data: stop there.
            guard knownBoxes.contains(type), boxSize >= 8, offset + boxSize <= fileSize else { break }
            offset += boxSize
            switch type {
            case "moov": sawMovie = true; playable = offset
            case "moof": openFragment = true
            case "mdat":
                if openFragment { playable = offset }
                openFragment = false
            default: if !openFragment { playable = offset }
            }
        }
        guard sawMovie else { throw Unplayable(description: "\(path) has no playable media (no moov box)") }
        return playable
    }

    /// The top-level boxes a fragmented MP4 from libavformat may hold.
    private static let knownBoxes: Set<String> = ["ftyp", "styp", "moov", "moof", "mdat", "mfra", "sidx", "free", "skip", "uuid", "meta"]
}
