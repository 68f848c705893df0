import Foundation

/// Users and groups by name and id, from the system's databases (getpwuid_r, getpwnam_r, getgrnam_r).
enum UserNames {
    /// The login name of `uid`, or "uid N" when it has none.
    static func name(ofUID uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return "uid \(uid)"
        }
        return String(cString: name)
    }

    /// The uid of user `name` (or of a numeric id), nil when there is no such user.
    static func uid(ofUser name: String) -> uid_t? {
        if let numeric = UInt32(name) { return numeric }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    /// The gid of group `name` (or of a numeric id), nil when there is no such group.
    static func gid(ofGroup name: String) -> gid_t? {
        if let numeric = UInt32(name) { return numeric }
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}
