import Foundation

/// The supplementary groups of a connected process, which `SO_PEERCRED` does not carry: read from the
/// `Groups:` line of `/proc/<pid>/status`, the groups the calling process really has.
enum PeerGroups {
    static func of(pid: Int32) -> Set<UInt32> {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Groups:") }) else { return [] }
        return Set(line.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) })
    }
}
