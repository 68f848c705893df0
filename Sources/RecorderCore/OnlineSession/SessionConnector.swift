import Foundation

/// A connection to the online room session that the room computer takes part in, on stage.
///
/// A connector joins the session, stays in it and rejoins after a drop (with back-off) until its task is
/// cancelled, then leaves. It reports who is on stage as ``SessionEvent``s; ``SessionRoster`` turns them into
/// what the daemon acts on (participants joining and leaving the recording's stage, the host's presence). The
/// room's own camera and microphone go out encoded by the daemon (``RoomMediaSource``); what the participants
/// send arrives as ``RemoteMediaFrame``s, still encoded: decoding, composing and mixing stay in
/// the one media pipeline. The Janus VideoRoom connector is the first; a LiveKit, OpenVidu or WHIP/WHEP one
/// implements the same protocol and nothing else changes.
public protocol SessionConnector: Sendable {
    /// Joins and stays until the task is cancelled, publishing the room's camera and microphone from `local`
    /// (nil: it only watches), handing every event to `report` in order and every frame the participants send
    /// to `media` (from the transport's threads, as they arrive).
    func run(publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
             media: @escaping @Sendable (RemoteMediaFrame) -> Void) async

    /// Tells the session whether the room is recording, so participants can show the recording indicator.
    func announceRecording(_ recording: Bool) async

    /// What the transport says of each track received: packets and loss, a few seconds old at most.
    func reception() -> [TrackReception]

    /// Leaves the room it is in and joins `room` of the same session (a breakout room, or the main room again),
    /// reporting ``SessionEvent/moved(room:breakout:)`` and then the join; returns at once. Throws
    /// ``SessionMoveRefused`` for a room it cannot name or a session without rooms.
    func move(to room: String) throws(SessionMoveRefused)
}

extension SessionConnector {
    public func move(to room: String) throws(SessionMoveRefused) {
        throw SessionMoveRefused("this session has no rooms to move between")
    }
}

/// Why the room cannot move to a room of its session, for the person who asked.
public struct SessionMoveRefused: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The transport's view of one track the room receives.
public struct TrackReception: Equatable, Sendable {
    public var participantID: String
    public var kind: SessionTrack.Kind
    public var packetsReceived: UInt64
    /// Packets that never arrived (after retransmission requests).
    public var packetsLost: Int64
    /// Interarrival jitter, in seconds.
    public var jitter: Double

    public init(participantID: String, kind: SessionTrack.Kind, packetsReceived: UInt64, packetsLost: Int64, jitter: Double) {
        self.participantID = participantID
        self.kind = kind
        self.packetsReceived = packetsReceived
        self.packetsLost = packetsLost
        self.jitter = jitter
    }

    /// Lost packets as a share of those sent, in percent.
    public var lossPercent: Double {
        let sent = Double(packetsReceived) + Double(max(0, packetsLost))
        return sent > 0 ? Double(max(0, packetsLost)) * 100 / sent : 0
    }
}

/// An encoded frame of a participant's track (an H.264 access unit in Annex B, a VP8 frame, an Opus packet), as
/// the session delivered it.
public struct RemoteMediaFrame: Sendable {
    /// The participant's id (``SessionParticipant/id``).
    public var participantID: String
    /// Which of the participant's tracks it came on (a participant may send a camera and a screen).
    public var track: String
    public var kind: SessionTrack.Kind
    /// `h264`, `vp8` or `opus`.
    public var codec: String
    public var data: [UInt8]
    /// When it arrived, on the pipeline's clock.
    public var arrivedAt: MonotonicInstant

    public init(participantID: String, track: String, kind: SessionTrack.Kind, codec: String, data: [UInt8], arrivedAt: MonotonicInstant) {
        self.participantID = participantID
        self.track = track
        self.kind = kind
        self.codec = codec
        self.data = data
        self.arrivedAt = arrivedAt
    }
}
