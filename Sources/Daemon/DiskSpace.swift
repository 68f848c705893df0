import ControlContract
import Foundation
import RecorderCore

/// Free and total space of the filesystem holding a path (statvfs).
enum DiskSpace {
    static func of(_ path: String) -> DiskSummary? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let block = Int64(info.f_frsize)
        return DiskSummary(path: path, freeBytes: Int64(info.f_bavail) * block, totalBytes: Int64(info.f_blocks) * block)
    }
}
