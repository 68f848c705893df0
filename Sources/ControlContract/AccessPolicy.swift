/// What a caller of the control socket may do, following the recording access levels of the room platform
/// (OpenVidu Meet: administrators may do everything including deleting; moderators start, stop and manage;
/// speakers may only look).
public enum Role: Int, Comparable, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Reads status only.
    case viewer
    /// Starts and stops recordings, lists, plays and downloads them, and manages the upload queue.
    case `operator`
    /// Everything, including deleting recordings and reloading the configuration.
    case admin

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .viewer: "viewer"
        case .operator: "operator"
        case .admin: "admin"
        }
    }
}

/// Maps a caller's uid and groups to a ``Role``: root or a member of the admin group is `admin`, a member of
/// the operator group is `operator`, anyone else the socket's mode lets in is `viewer`.
public struct AccessPolicy: Equatable, Sendable {
    /// Group ids whose members are administrators.
    public var adminGroups: Set<UInt32>
    /// Group ids whose members are operators.
    public var operatorGroups: Set<UInt32>

    public init(adminGroups: Set<UInt32>, operatorGroups: Set<UInt32>) {
        self.adminGroups = adminGroups
        self.operatorGroups = operatorGroups
    }

    public func role(uid: UInt32, groups: Set<UInt32>) -> Role {
        if uid == 0 || !groups.isDisjoint(with: adminGroups) { return .admin }
        if !groups.isDisjoint(with: operatorGroups) { return .operator }
        return .viewer
    }
}
