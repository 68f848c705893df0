import Foundation
import RecorderCore

/// `GET /v1/status`.
public struct StatusReport: Codable, Equatable, Sendable {
    /// What the room does now.
    public enum State: String, Codable, Sendable {
        case idle, recording
    }

    public var state: State
    public var version: String
    public var uptimeSeconds: Double
    public var room: RoomSummary
    /// The recording in progress, if any.
    public var current: Recording?
    /// Seconds since the current recording started.
    public var elapsedSeconds: Double?
    public var devices: [DeviceInfo]
    public var encoder: EncoderSummary
    /// The media pipeline of the recording in progress.
    public var pipeline: PipelineStatus?
    public var disk: DiskSummary?
    public var queue: QueueSummary
    /// The online session, when one is configured.
    public var session: SessionStatus?
    /// The next recording the schedule will start, if any within a week.
    public var next: NextRecording?
    /// The Opencast capture agent, when `[opencast]` is configured.
    public var opencast: OpencastStatus?
    /// The sound of each source now (while the room's sources run), and the alarms raised.
    public var levels: [SourceLevel]?
    public var alarms: [Alarm]?

    public init(state: State, version: String, uptimeSeconds: Double, room: RoomSummary, current: Recording?, elapsedSeconds: Double?,
                devices: [DeviceInfo], encoder: EncoderSummary, pipeline: PipelineStatus? = nil, disk: DiskSummary?, queue: QueueSummary,
                session: SessionStatus? = nil, next: NextRecording? = nil, opencast: OpencastStatus? = nil, levels: [SourceLevel]? = nil,
                alarms: [Alarm]? = nil) {
        self.opencast = opencast
        self.levels = levels
        self.alarms = alarms
        self.session = session
        self.next = next
        self.pipeline = pipeline
        self.state = state
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.room = room
        self.current = current
        self.elapsedSeconds = elapsedSeconds
        self.devices = devices
        self.encoder = encoder
        self.disk = disk
        self.queue = queue
    }
}

/// The next recording the schedule will start.
public struct NextRecording: Codable, Equatable, Sendable {
    public var title: String
    /// With the pre-roll.
    public var start: Date
    public var end: Date
    /// The source of the event that names it (`timetable`, `calendar:<feed>`, …).
    public var source: String

    public init(title: String, start: Date, end: Date, source: String) {
        self.title = title
        self.start = start
        self.end = end
        self.source = source
    }
}

/// The online session, as status reports it.
public struct SessionStatus: Codable, Equatable, Sendable {
    /// `connecting`, `joined` or `reconnecting`.
    public var state: SessionRoster.State
    /// The session server's kind (`janus`) and the room joined.
    public var connector: String
    public var room: String
    /// The others on stage.
    public var participants: [SessionParticipant]
    /// Whether the host is on stage.
    public var hostPresent: Bool
    /// When the host left, while the grace period runs.
    public var hostLeftAt: Date?
    /// How many times the room joined again after a drop.
    public var reconnects: Int
    /// Why the connection last dropped or failed, while it is down.
    public var lastError: String?
    /// What arrives from each participant's tracks.
    public var receiving: [ReceivedTrack]
    /// What the room sends (its camera and microphone), while it publishes.
    public var publishing: PublishingStatus?
    /// The breakout room the room is in, by name (`room` is its number); absent in the main room.
    public var breakout: String?

    public init(state: SessionRoster.State, connector: String, room: String, participants: [SessionParticipant], hostPresent: Bool,
                hostLeftAt: Date?, reconnects: Int, lastError: String?, receiving: [ReceivedTrack] = [], publishing: PublishingStatus? = nil) {
        self.receiving = receiving
        self.publishing = publishing
        self.state = state
        self.connector = connector
        self.room = room
        self.participants = participants
        self.hostPresent = hostPresent
        self.hostLeftAt = hostLeftAt
        self.reconnects = reconnects
        self.lastError = lastError
    }
}

/// One track the room receives from a participant, as status reports it.
public struct ReceivedTrack: Codable, Equatable, Sendable {
    public var participantId: String
    public var kind: SessionTrack.Kind
    public var codec: String
    /// Frames (pictures, or audio packets) received since the participant came.
    public var frames: Int
    /// Kilobits per second over the last few seconds.
    public var kbps: Double
    /// Seconds since its last frame.
    public var silentSeconds: Double
    /// RTP packets that never arrived, and as a share of those sent, in percent (when the transport says).
    public var packetsLost: Int64?
    public var lossPercent: Double?

    public init(participantId: String, kind: SessionTrack.Kind, codec: String, frames: Int, kbps: Double, silentSeconds: Double,
                packetsLost: Int64? = nil, lossPercent: Double? = nil) {
        self.packetsLost = packetsLost
        self.lossPercent = lossPercent
        self.participantId = participantId
        self.kind = kind
        self.codec = codec
        self.frames = frames
        self.kbps = kbps
        self.silentSeconds = silentSeconds
    }
}

/// The room, as status reports it.
public struct RoomSummary: Codable, Equatable, Sendable {
    public var id: String
    public var title: String
    public var type: RoomType
    public var owner: String?

    public init(id: String, title: String, type: RoomType, owner: String?) {
        self.id = id
        self.title = title
        self.type = type
        self.owner = owner
    }
}


/// The encoders in use.
public struct EncoderSummary: Codable, Equatable, Sendable {
    /// The video encoder and its preset, e.g. "libx264 (veryfast)" or "h264_vaapi (/dev/dri/renderD128)".
    public var video: String
    public var audio: String
    /// Why this video encoder was chosen.
    public var reason: String?

    public init(video: String, audio: String, reason: String? = nil) {
        self.video = video
        self.audio = audio
        self.reason = reason
    }
}

/// How the media pipeline of the recording in progress keeps up.
public struct PipelineStatus: Codable, Equatable, Sendable {
    /// The stage layout of the last frame (single, grid, speaker, content_beside, content_pip).
    public var layout: String
    /// How many times faster than real time frames are composed and encoded (at least 1 keeps up).
    public var realTimeFactor: Double
    public var framesEncoded: Int
    /// Frames not recorded, by why ("encoder behind", "source late").
    public var framesDropped: [String: Int]
    /// How far the audio sources are from the picture's clock, in milliseconds (drift left after correction).
    public var avOffsetMs: Double

    public init(layout: String, realTimeFactor: Double, framesEncoded: Int, framesDropped: [String: Int], avOffsetMs: Double) {
        self.layout = layout
        self.realTimeFactor = realTimeFactor
        self.framesEncoded = framesEncoded
        self.framesDropped = framesDropped
        self.avOffsetMs = avOffsetMs
    }
}

/// Free space where recordings are written.
public struct DiskSummary: Codable, Equatable, Sendable {
    public var path: String
    public var freeBytes: Int64
    public var totalBytes: Int64

    public init(path: String, freeBytes: Int64, totalBytes: Int64) {
        self.path = path
        self.freeBytes = freeBytes
        self.totalBytes = totalBytes
    }
}

/// Upload jobs by state.
public struct QueueSummary: Codable, Equatable, Sendable {
    public var counts: [String: Int]
    /// Why no upload runs now (paused, outside the upload windows, a recording is running); nil while they may.
    public var heldReason: String?

    public init(counts: [String: Int], heldReason: String? = nil) {
        self.counts = counts
        self.heldReason = heldReason
    }

    public init(byState counts: [UploadState: Int], heldReason: String? = nil) {
        self.init(counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }), heldReason: heldReason)
    }
}
