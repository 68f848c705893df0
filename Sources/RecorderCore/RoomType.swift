/// How the room is published on the room platform, which decides who owns its recordings
/// (see the Kaltura room recording reference: "Recording ownership").
public enum RoomType: String, Codable, Sendable, CaseIterable {
    /// A channel room (Video Portal): the channel owner owns the recording.
    case channel
    /// A media gallery room (LMS Video): the gallery owner, else the recording's initiator.
    case mediaGallery = "media_gallery"
    /// A single room: the room entry's owner.
    case single

    /// The owner of a recording made in a room of this type.
    /// - Parameters:
    ///   - roomOwner: the owner named in config (channel owner, gallery owner or room entry owner).
    ///   - initiator: who started the recording, when known.
    public func recordingOwner(roomOwner: String?, initiator: String?) -> String? {
        switch self {
        case .channel, .single: return roomOwner.nonEmpty
        case .mediaGallery: return roomOwner.nonEmpty ?? initiator.nonEmpty
        }
    }
}

extension Optional where Wrapped == String {
    fileprivate var nonEmpty: String? { self.flatMap { $0.isEmpty ? nil : $0 } }
}
