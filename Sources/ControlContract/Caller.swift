import Foundation
import RecorderCore

/// Who is calling, from the socket's peer credentials, and the role that gives them.
public struct Caller: Equatable, Sendable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    public var role: Role

    public init(uid: UInt32, gid: UInt32, pid: Int32, role: Role = .admin) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.role = role
    }

    public var description: String { "uid=\(uid) gid=\(gid) pid=\(pid) role=\(role)" }
}

/// `POST /v1/recordings` body.
public struct StartRecordingRequest: Codable, Equatable, Sendable {
    /// The meeting title; the room's title when absent.
    public var title: String?

    public init(title: String? = nil) { self.title = title }
}
