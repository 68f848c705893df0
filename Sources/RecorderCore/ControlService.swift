import Foundation

/// What the control socket may ask of the daemon. The daemon implements it; the HTTP layer only translates
/// requests into these calls and their results into responses, so it never reaches into the pipeline.
public protocol ControlService: Sendable {
    func status() async -> StatusReport
    func startRecording(_ request: StartRecordingRequest, caller: Caller) async throws(ControlError) -> Recording
    /// Stops the recording in progress; `id` nil means whichever is in progress.
    func stopRecording(id: String?, caller: Caller) async throws(ControlError) -> Recording
    func recordings(_ query: RecordingQuery) async throws(ControlError) -> RecordingPage
    func recording(id: String) async throws(ControlError) -> Recording
    /// Deletes a finished recording's file, catalog entry and upload jobs (not what was delivered).
    func deleteRecording(id: String, caller: Caller) async throws(ControlError)
    func uploads() async throws(ControlError) -> [UploadJob]
    func applyUploadAction(_ action: UploadAction, jobId: String, caller: Caller) async throws(ControlError) -> UploadJob
    func upload(id: String) async throws(ControlError) -> UploadJobDetail
    /// Pauses (true) or resumes (false) the whole queue; returns whether it is paused.
    func pauseUploads(_ paused: Bool, caller: Caller) async -> Bool
    func devices() async -> [DeviceInfo]
    func health() async -> HealthReport
    /// Reads the configuration file again and applies what can change while running.
    func reloadConfiguration(caller: Caller) async throws(ControlError) -> ReloadReport
    /// Events from now on.
    func events() async -> AsyncStream<ControlEvent>
    func metrics() async -> [Metric]
    /// Bookings that have not ended, earliest first.
    func schedule() async throws(ControlError) -> [Booking]
    func addBooking(_ request: BookingRequest, caller: Caller) async throws(ControlError) -> Booking
    /// Removes a booking; a recording it started stops when no other booking covers the time.
    func removeBooking(id: String, caller: Caller) async throws(ControlError)
}

/// `GET /v1/health`: whether the daemon can do its job, with the check that says why not.
public struct HealthReport: Codable, Equatable, Sendable {
    /// `ok` or `failing`.
    public var status: String
    /// Each check's result: `ok`, or what is wrong.
    public var checks: [String: String]

    public init(checks: [String: String]) {
        self.checks = checks
        status = checks.values.allSatisfy { $0 == "ok" } ? "ok" : "failing"
    }
}

/// `POST /v1/config/reload`: what the new configuration changed.
public struct ReloadReport: Codable, Equatable, Sendable {
    /// Keys whose new values are in effect (for recordings: from the next one on).
    public var applied: [String]
    /// Keys whose new values need a restart of the service.
    public var restartNeeded: [String]

    public init(applied: [String], restartNeeded: [String]) {
        self.applied = applied
        self.restartNeeded = restartNeeded
    }
}

/// One Prometheus metric with its samples.
public struct Metric: Equatable, Sendable {
    /// `gauge` or `counter`.
    public enum Kind: String, Sendable { case gauge, counter }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [(labels: [String: String], value: Double)]

    public init(_ name: String, _ kind: Kind, _ help: String, samples: [(labels: [String: String], value: Double)]) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }

    public init(_ name: String, _ kind: Kind, _ help: String, value: Double) {
        self.init(name, kind, help, samples: [([:], value)])
    }

    public static func == (a: Metric, b: Metric) -> Bool {
        a.name == b.name && a.kind == b.kind && a.help == b.help && a.samples.count == b.samples.count
            && zip(a.samples, b.samples).allSatisfy { $0.labels == $1.labels && $0.value == $1.value }
    }
}

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

/// A request the daemon refuses, mapped to an HTTP status and an RFC 9457 problem body.
public enum ControlError: Error, Equatable, Sendable {
    case badRequest(String)
    case forbidden(String)
    case notFound(String)
    case conflict(String)
    case unavailable(String)

    public var httpStatus: Int {
        switch self {
        case .badRequest: 400
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .unavailable: 503
        }
    }

    public var problem: Problem {
        switch self {
        case .badRequest(let detail): Problem(status: 400, title: "Bad Request", detail: detail)
        case .forbidden(let detail): Problem(status: 403, title: "Forbidden", detail: detail)
        case .notFound(let detail): Problem(status: 404, title: "Not Found", detail: detail)
        case .conflict(let detail): Problem(status: 409, title: "Conflict", detail: detail)
        case .unavailable(let detail): Problem(status: 503, title: "Service Unavailable", detail: detail)
        }
    }
}

/// An RFC 9457 problem details body (`application/problem+json`).
public struct Problem: Codable, Equatable, Sendable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String

    public init(type: String = "about:blank", status: Int, title: String, detail: String) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }
}

/// `GET /v1/status`.
public struct StatusReport: Codable, Equatable, Sendable {
    /// `idle` or `recording`.
    public var state: String
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

    public init(state: String, version: String, uptimeSeconds: Double, room: RoomSummary, current: Recording?, elapsedSeconds: Double?,
                devices: [DeviceInfo], encoder: EncoderSummary, pipeline: PipelineStatus? = nil, disk: DiskSummary?, queue: QueueSummary,
                session: SessionStatus? = nil) {
        self.session = session
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

/// A capture device seen on this computer, or the synthetic source.
public struct DeviceInfo: Codable, Equatable, Sendable {
    /// `camera` or `microphone`.
    public var kind: String
    /// Device node or ALSA name, e.g. `/dev/video0`, `hw:CARD=Mic`.
    public var id: String
    public var name: String
    /// Whether the recording pipeline uses it.
    public var inUse: Bool
    /// For a camera: the mode it would record (or records) and why, or why it cannot be used.
    public var mode: String?
    /// For a camera: every mode it offers, e.g. "MJPG 1920x1080@30".
    public var modes: [String]?

    public init(kind: String, id: String, name: String, inUse: Bool, mode: String? = nil, modes: [String]? = nil) {
        self.kind = kind
        self.id = id
        self.name = name
        self.inUse = inUse
        self.mode = mode
        self.modes = modes
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

/// The JSON coding every party of the control API uses: ISO 8601 dates, sorted keys.
public enum ControlJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
