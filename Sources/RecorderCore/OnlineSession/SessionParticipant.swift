import Foundation

/// Someone on the stage of the online session: another room, a remote teacher, a student allowed on stage.
public struct SessionParticipant: Codable, Equatable, Sendable {
    /// What the participant may do, as far as recording rules care.
    public enum Role: String, Codable, Sendable {
        /// The session's host (its owner or teacher): recording follows their presence (`host_leave_grace`).
        case host
        /// A moderator: on stage in panel rooms, but not the host.
        case moderator
        case participant
    }

    /// The session's id for the participant (Janus: the publisher's feed id).
    public var id: String
    /// The name the participant joined with. Kept for status and logs; never drawn on the recording.
    public var display: String
    public var role: Role
    /// What the participant sends.
    public var tracks: [SessionTrack]
    /// Whether the session says the participant is speaking now.
    public var talking: Bool

    public init(id: String, display: String, role: Role = .participant, tracks: [SessionTrack] = [], talking: Bool = false) {
        self.id = id
        self.display = display
        self.role = role
        self.tracks = tracks
        self.talking = talking
    }

    /// Whether the participant shares a screen.
    public var sharesScreen: Bool { tracks.contains { $0.kind == .video && $0.isScreen } }

    /// Whether every picture the participant sends is a screen (a connection that only shares a screen): its own
    /// tile is then content.
    public var isScreenOnly: Bool {
        let pictures = tracks.filter { $0.kind == .video }
        return !pictures.isEmpty && pictures.allSatisfy(\.isScreen)
    }

    /// A screen shared beside a camera on the same connection: it is content on a tile of its own
    /// (``screenSourceID``), while the camera keeps the participant's tile.
    public var sharedScreen: SessionTrack? {
        isScreenOnly ? nil : tracks.first { $0.kind == .video && $0.isScreen }
    }

    /// The stage id of the participant's shared screen.
    public var screenSourceID: String { "\(id)#screen" }
}

/// One medium a participant sends.
public struct SessionTrack: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case audio
        case video
    }

    /// The track's id within its participant (Janus: the stream's `mid`).
    public var id: String
    public var kind: Kind
    /// The codec's name as the session says it (`h264`, `vp8`, `opus`).
    public var codec: String
    /// A shared screen rather than a camera.
    public var isScreen: Bool

    public init(id: String, kind: Kind, codec: String, isScreen: Bool = false) {
        self.id = id
        self.kind = kind
        self.codec = codec
        self.isScreen = isScreen
    }
}
