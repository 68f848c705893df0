import Foundation

extension RoomRecorderConfig {
    /// `[room]`: the room this computer records.
    public struct Room: Equatable, Sendable {
        /// Stable id, used in folder names and object keys: letters, digits, `.`, `_` and `-`.
        public var id = "room"
        /// Human title; the meeting title of recordings that are started without one.
        public var title = "Room"
        public var type = RoomType.single
        /// Channel owner, media gallery owner or room entry owner, by room type.
        public var owner: String?
    }
}

extension RoomRecorderConfig.Room {
    /// Reads `[room]`; a key left out keeps its default.
    init(reading room: ConfigReader) throws(ConfigError) {
        self.init()
        id = try room.nonEmptyString("id", default: id)
        guard id.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", options: .regularExpression) != nil else {
            throw room.error("id", "must be 1 to 128 letters, digits, '.', '_' or '-' (it names folders), got \"\(id)\"")
        }
        title = try room.nonEmptyString("title", default: title)
        type = try room.choice("type", default: type)
        owner = try room.string("owner")
        try room.rejectUnknownKeys()
    }
}
