import Foundation

/// A tmpfs of a few megabytes mounted on a directory, so a test can fill a real filesystem. Mounting needs
/// root (or CAP_SYS_ADMIN); ``mount(at:megabytes:)`` returns nil where it is not allowed.
public final class SmallVolume {
    public let path: String

    private init(path: String) { self.path = path }

    /// Mounts a tmpfs of `megabytes` on `path` (created if missing); nil when this process may not mount.
    public static func mount(at path: String, megabytes: Int) throws -> SmallVolume? {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try ProcessRunner.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", path])
        return result.status == 0 ? SmallVolume(path: path) : nil
    }

    /// Free bytes on the volume.
    public var freeBytes: Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    deinit { _ = try? ProcessRunner.run("/usr/bin/umount", ["--lazy", path]) }
}
