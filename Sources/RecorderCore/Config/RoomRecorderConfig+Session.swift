import Foundation

extension RoomRecorderConfig {
    /// `[session]`: the online room session the room computer joins on stage.
    public struct Session: Equatable, Sendable {
        /// Which kind of session server; `none` (the default) joins nothing.
        public var connector = SessionConnectorKind.none
        /// The server's API: Janus's HTTP API, such as `http://127.0.0.1:8088/janus`, or the WHIP endpoint.
        public var url: URL?
        /// The room to join (Janus: the VideoRoom's numeric id); 0 until one is configured.
        public var room: UInt64 = 0
        /// The room's PIN, if it has one.
        public var pin: String?
        /// The server's API token (Janus `token` authentication), if it asks for one.
        public var token: String?
        /// The file holding the WHIP endpoint's bearer token (mode 600, or `$CREDENTIALS_DIRECTORY/<name>`), if
        /// it asks for one.
        public var tokenFile: String?
        /// The name the room computer joins with; the room's title by default.
        public var display: String?
        /// Display names of the participants who are the session's host: recording follows their presence.
        public var hosts: [String] = []
        /// Display names of moderators (on stage in panel rooms, but not the host).
        public var moderators: [String] = []
        /// The local addresses WebRTC may use to receive media (none: every interface).
        public var iceAddresses: [String] = []
        /// Whether the room's camera and microphone are published into the session (on stage); off, the room only
        /// watches and records.
        public var publish = true
        /// The published picture fits in this size (its aspect kept), at 30 frames a second.
        public var publishWidth = 1280
        public var publishHeight = 720
        /// The published video's bitrate, in kbit/s, when the receivers' estimate does not ask for less.
        public var publishVideoKbps = 1500
        /// The published microphone's Opus bitrate, in kbit/s.
        public var publishAudioKbps = 64
        /// Whether the session's start (its host coming on stage, see `hosts`) starts a recording.
        public var autoRecord = false
        /// `[session.breakouts]`: the session's breakout rooms by room, with the name each recording made there
        /// carries, so a platform moving the room need only say where.
        public var breakouts: [String: String] = [:]
    }
}

extension RoomRecorderConfig.Session {
    /// Reads `[session]`; a key left out keeps its default. A connector other than `none` needs `url` and `room`.
    init(reading section: ConfigReader) throws(ConfigError) {
        self.init()
        connector = try section.choice("connector", default: connector)
        if let text = try section.string("url") {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw section.error("url", "expected the server's HTTP API, such as \"http://127.0.0.1:8088/janus\", got \"\(text)\"")
            }
            self.url = url
        }
        if let room = try section.value("room") {
            guard case .integer(let number) = room, number > 0 else {
                throw section.error("room", "expected the room's number (a positive integer, e.g. 1234), found \(room.typeName)")
            }
            self.room = UInt64(number)
        }
        pin = try section.string("pin")
        token = try section.string("token")
        tokenFile = try section.string("token_file")
        if let display = try section.string("display") {
            guard !display.trimmingCharacters(in: .whitespaces).isEmpty else { throw section.error("display", "the name to join with is empty") }
            self.display = display
        }
        hosts = try section.strings("hosts") ?? hosts
        moderators = try section.strings("moderators") ?? moderators
        iceAddresses = try section.strings("ice_addresses") ?? iceAddresses
        for address in iceAddresses where !Self.isIPAddress(address) {
            throw section.error("ice_addresses", "expected local IP addresses such as \"192.168.1.20\", got \"\(address)\"")
        }
        publish = try section.boolean("publish", default: publish)
        publishWidth = try section.integer("publish_width", default: publishWidth, range: 160...1920)
        publishHeight = try section.integer("publish_height", default: publishHeight, range: 90...1080)
        guard publishWidth % 2 == 0, publishHeight % 2 == 0 else {
            throw section.error(publishWidth % 2 == 0 ? "publish_height" : "publish_width", "expected an even number of pixels")
        }
        publishVideoKbps = try section.integer("publish_video_kbps", default: publishVideoKbps, range: 100...8000)
        publishAudioKbps = try section.integer("publish_audio_kbps", default: publishAudioKbps, range: 16...256)
        autoRecord = try section.boolean("auto_record", default: autoRecord)
        let breakoutSection = try section.section("breakouts")
        // Keyed by the room's number as a move names it: `05678` is room 5678.
        for (room, name) in try breakoutSection.strings().sorted(by: { $0.key < $1.key }) {
            guard connector == .janus else { throw breakoutSection.error(room, "breakout rooms are rooms of a Janus session (connector = \"janus\")") }
            guard let number = UInt64(room), number > 0 else { throw breakoutSection.error(room, "expected a VideoRoom's number as the key, such as 5678 = \"Group A\"") }
            guard number != self.room else { throw breakoutSection.error(room, "this is the session's main room ([session] room), not a breakout") }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw breakoutSection.error(room, "the breakout's name is empty") }
            guard breakouts.updateValue(name, forKey: "\(number)") == nil else { throw breakoutSection.error(room, "room \(number) is named twice") }
        }
        if autoRecord && hosts.isEmpty {
            throw section.error("auto_record", "auto_record = true needs the session's host in hosts = [\"…\"]: the session starts when its host comes on stage")
        }
        switch connector {
        case .none:
            break
        case .janus:
            guard url != nil else { throw section.error("url", "connector = \"janus\" needs the server's url") }
            guard room != 0 else { throw section.error("room", "connector = \"janus\" needs the room to join") }
            if tokenFile != nil { throw section.error("token_file", "token_file is the WHIP endpoint's bearer token; Janus takes token = \"…\"") }
        case .whip:
            try checkWHIP(section)
        }
        try section.rejectUnknownKeys()
    }

    /// WHIP publishes the room into an endpoint and hears nothing back: it needs the endpoint, and has no room to
    /// join, no participants to follow and nothing to do without publishing.
    private func checkWHIP(_ section: ConfigReader) throws(ConfigError) {
        guard url != nil else {
            throw section.error("url", "connector = \"whip\" needs the WHIP endpoint's url, such as \"https://ingress.example.org/w\"")
        }
        for key in ["room", "pin", "token"] where section.has(key) {
            throw section.error(key, "connector = \"whip\" takes no \(key): the endpoint's url names where the room publishes"
                                + (key == "token" ? ", and token_file holds its bearer token" : ""))
        }
        guard publish else { throw section.error("publish", "connector = \"whip\" publishes the room's camera and microphone; publish = false leaves it nothing to do") }
        guard hosts.isEmpty, !autoRecord else {
            throw section.error(hosts.isEmpty ? "auto_record" : "hosts", "a WHIP endpoint sends no participants back, so the session's host cannot be followed")
        }
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

/// The kinds of online session the room computer can join.
public enum SessionConnectorKind: String, Sendable, CaseIterable {
    /// No session: the room records its own camera and microphone.
    case none
    /// A Janus VideoRoom, through Janus's HTTP API.
    case janus
    /// Any WHIP endpoint (RFC 9725): the room publishes its camera and microphone, and receives nothing.
    case whip
}
