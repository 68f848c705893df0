import Foundation

/// Durable file operations: what is written reaches the disk before the code goes on. A failed call throws
/// ``FileSync/Failure`` with the path and `errno`.
public enum FileSync {
    /// A failed system call, with the path and `errno`'s message.
    public struct Failure: Error, CustomStringConvertible {
        public let operation: String
        public let path: String
        public let code: Int32

        public init(operation: String, path: String, code: Int32) {
            self.operation = operation
            self.path = path
            self.code = code
        }

        public var description: String { "\(operation)(\(path)): \(String(cString: strerror(code)))" }
    }

    /// fsync(2) on the file at `path` (flushes its data from any descriptor's writes).
    public static func fsyncFile(at path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    /// fsync(2) on a directory, so that a rename or a new file in it is durable.
    public static func fsyncDirectory(at path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    /// Creates `directory` and any missing parents, fsyncing each new entry's parent so it survives power loss.
    public static func createDirectory(_ directory: String) throws {
        var missing: [String] = []
        var path = directory
        while !path.isEmpty, path != "/", !FileManager.default.fileExists(atPath: path) {
            missing.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for created in missing.reversed() { try fsyncDirectory(at: (created as NSString).deletingLastPathComponent) }
    }

    /// Moves `source` to `destination` only if nothing is there (link, then unlink), then fsyncs the directory.
    /// Returns false, changing nothing, when `destination` exists.
    public static func moveWithoutReplacing(_ source: String, to destination: String) throws -> Bool {
        guard link(source, destination) == 0 else {
            let code = errno
            if code == EEXIST { return false }
            // Filesystems without hard links (FAT, exFAT, some network shares): check, then rename.
            guard code == EPERM || code == EOPNOTSUPP || code == ENOSYS else { throw Failure(operation: "link", path: destination, code: code) }
            if FileManager.default.fileExists(atPath: destination) { return false }
            try rename(source, to: destination)
            return true
        }
        guard unlink(source) == 0 else { throw Failure(operation: "unlink", path: source, code: errno) }
        try fsyncDirectory(at: (destination as NSString).deletingLastPathComponent)
        return true
    }

    /// The size in bytes of the file at `path` (stat(2)).
    public static func size(of path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(operation: "stat", path: path, code: errno) }
        return Int64(info.st_size)
    }

    /// Writes `data` to `path` through a temporary name, fsync and rename, so a crash leaves the old file or
    /// the new one, never half of one.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw Failure(operation: "create", path: temporary, code: errno)
        }
        try fsyncFile(at: temporary)
        try rename(temporary, to: path)
    }

    /// rename(2), then fsync of the destination's directory.
    public static func rename(_ source: String, to destination: String) throws {
        guard Foundation.rename(source, destination) == 0 else { throw Failure(operation: "rename", path: source, code: errno) }
        try fsyncDirectory(at: (destination as NSString).deletingLastPathComponent)
    }
}
