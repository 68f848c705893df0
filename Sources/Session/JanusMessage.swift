import Foundation

/// A message from Janus's HTTP API: an answer to a request (`success`, `ack`, `error`) or, from the session's
/// long poll, an event (`event`, `webrtcup`, `media`, `hangup`, `timeout`, …). Only the fields the VideoRoom
/// connector reads are decoded.
struct JanusMessage: Decodable, Sendable {
    struct Identifier: Decodable, Sendable { var id: UInt64 }
    struct Failure: Decodable, Sendable {
        var code: Int
        var reason: String
    }
    struct PluginData: Decodable, Sendable {
        var plugin: String
        var data: VideoRoomData
    }

    /// `success`, `ack`, `error`, `event`, `timeout`, `webrtcup`, `hangup`, …
    var janus: String
    var transaction: String?
    /// The session's or handle's id, after `create` and `attach`.
    var data: Identifier?
    /// The handle an event comes from.
    var sender: UInt64?
    var plugindata: PluginData?
    var error: Failure?
    /// An SDP offer or answer (a subscriber's `attached` event carries Janus's offer).
    var jsep: SessionDescription?
    /// Why, with `hangup` (ICE or DTLS failed, the peer closed).
    var reason: String?

    struct SessionDescription: Decodable, Sendable {
        var type: String
        var sdp: String
    }
}

/// What the VideoRoom plugin says: `joined`, `event` (publishers came, one unpublished or left), `talking`,
/// `stopped-talking`, `destroyed`, or an error.
struct VideoRoomData: Decodable, Sendable {
    var videoroom: String?
    var room: UInt64?
    /// Our own publisher id, in `joined`; the speaker's, in `talking`.
    var id: UInt64?
    var publishers: [JanusPublisher]?
    /// A publisher that stopped publishing (or `"ok"` when it is us).
    var unpublished: JanusID?
    /// A publisher that left the room (or `"ok"` when it is us).
    var leaving: JanusID?
    /// A participant a moderator removed (`"ok"` when it is us).
    var kicked: JanusID?
    /// What a subscription receives, in `attached`: each of its media ids and the publisher's stream behind it.
    var streams: [SubscribedStream]?
    /// Why, with `leaving`.
    var reason: String?
    var errorCode: Int?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case videoroom, room, id, publishers, unpublished, leaving, kicked, reason, error, streams
        case errorCode = "error_code"
    }

    /// One stream of a subscription: its media id on the subscriber's connection, and the publisher's.
    struct SubscribedStream: Decodable, Sendable {
        var mid: String?
        var feedMid: String?

        enum CodingKeys: String, CodingKey {
            case mid
            case feedMid = "feed_mid"
        }
    }
}

/// A publisher in a VideoRoom, as `joined` and `event` list them (Janus 1.x, multistream).
struct JanusPublisher: Decodable, Sendable {
    struct Stream: Decodable, Sendable {
        /// `audio`, `video` or `data`.
        var type: String
        var mid: String?
        var codec: String?
        /// What the publisher says the stream is; screen sharing says so here.
        var description: String?
        var disabled: Bool?
    }

    var id: UInt64
    var display: String?
    var streams: [Stream]?
    var talking: Bool?
}

/// An id that VideoRoom sends as a number, or the string `"ok"` when the event is about ourselves.
enum JanusID: Decodable, Sendable, Equatable {
    case id(UInt64)
    case ourselves

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let id = try? container.decode(UInt64.self) { self = .id(id) } else { self = .ourselves }
    }
}
