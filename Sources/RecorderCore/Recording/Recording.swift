import Foundation

/// The states of a recording, named as the room platforms' recording APIs name them (OpenVidu Meet, LiveKit
/// Egress), extended with `recovered` (a file rescued after a crash) so an integrator maps them one to one.
public enum RecordingState: String, Codable, Sendable, CaseIterable {
    case starting
    case active
    case ending
    /// Finished as asked and finalized.
    case complete
    /// Could not record; any file made is kept.
    case failed
    /// Ended early (device lost, disk full, daemon stopped); the file covers what was recorded.
    case aborted
    /// Stopped at the duration cap.
    case limitReached = "limit_reached"
    /// Found unfinished after a crash and made playable.
    case recovered

    /// Whether the recording is still being written.
    public var isInProgress: Bool { self == .starting || self == .active || self == .ending }

    /// The states a recording may move to from this one: `starting → active → ending → complete`, or
    /// `aborted` / `limit_reached` / `failed` when it ends otherwise; any unfinished state becomes `recovered`
    /// after a crash; a `failed` finalizing is tried again and ends `aborted` or `recovered`. The final states
    /// never change.
    public var successors: Set<RecordingState> {
        switch self {
        case .starting: [.active, .failed, .recovered]
        case .active: [.ending, .aborted, .failed, .recovered]
        case .ending: [.complete, .aborted, .limitReached, .failed, .recovered]
        case .failed: [.aborted, .recovered, .failed]
        case .complete, .aborted, .limitReached, .recovered: []
        }
    }

    /// Whether a recording in this state may move to `next`.
    public func canMove(to next: RecordingState) -> Bool { successors.contains(next) }
}

/// Where a finished recording's delivery to the media library stands, kept on the recording so an integrator
/// reads one object (the upload job has the details).
public enum RecordingUploadStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting in the upload queue (also while the queue or the job is paused).
    case queued = "upload_queued"
    case uploading
    /// The media library confirmed the whole file.
    case uploaded
    /// Gave up after a permanent error or the last retry; can be retried.
    case failed = "upload_failed"
    case cancelled = "upload_cancelled"

    /// The status of a recording whose newest upload job is in `state`.
    public init(_ state: UploadState) {
        switch state {
        case .queued, .paused: self = .queued
        case .uploading: self = .uploading
        case .done: self = .uploaded
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}

/// One recording: what the catalog stores and the control API returns (field names follow OpenVidu Meet's
/// recording object where one exists).
public struct Recording: Codable, Equatable, Sendable {
    /// The field names of the control API's JSON and the catalog's columns, named once.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case recordingId, roomId, title, name, filename, status, reason, owner, initiator, startDate, endDate, duration, size, sha256, path, workingPath, localRemovedAt, uploadStatus
        case templateEntryId, opencastEventId, sessionId
    }

    public var recordingId: String
    public var roomId: String
    /// The meeting title.
    public var title: String
    /// "Rec - <date and timestamp> - <meeting title>".
    public var name: String
    /// The file name, safe on every filesystem.
    public var filename: String
    public var status: RecordingState
    /// Why a recording is `failed` or `aborted`, or how it was recovered.
    public var reason: String?
    public var owner: String?
    /// Who started it: a uid, "schedule" or "session".
    public var initiator: String?
    public var startDate: Date
    public var endDate: Date?
    /// Seconds of media in the file.
    public var duration: Double?
    /// Bytes of the finished file.
    public var size: Int64?
    /// Hex SHA-256 of the finished file.
    public var sha256: String?
    /// Where the recording's file is (or, while it is finalized, will be) on this computer.
    public var path: String
    /// The fragmented MP4 written while recording, until the finalized file and its upload job are stored.
    public var workingPath: String?
    /// When the local file was removed after its delivery (retention or low disk).
    public var localRemovedAt: Date?
    /// Its delivery, once its file is queued; the catalog keeps it in step with the upload job.
    public var uploadStatus: RecordingUploadStatus?
    /// The Kaltura entry its class's event names as template: its entry copies that entry's co-editors and
    /// categories (and its owner is that entry's owner).
    public var templateEntryId: String?
    /// The Opencast event (its UID) it records; its parts share it and are ingested as one media package.
    public var opencastEventId: String?
    /// The online session it is part of when the room moved between the session's rooms (breakouts): every
    /// recording made in the main room and its breakouts, one per room visited, shares it.
    public var sessionId: String?

    public init(recordingId: String, roomId: String, title: String, name: String, filename: String, status: RecordingState,
                reason: String? = nil, owner: String?, initiator: String?, startDate: Date, endDate: Date? = nil,
                duration: Double? = nil, size: Int64? = nil, sha256: String? = nil, path: String, workingPath: String? = nil) {
        self.recordingId = recordingId
        self.roomId = roomId
        self.title = title
        self.name = name
        self.filename = filename
        self.status = status
        self.reason = reason
        self.owner = owner
        self.initiator = initiator
        self.startDate = startDate
        self.endDate = endDate
        self.duration = duration
        self.size = size
        self.sha256 = sha256
        self.path = path
        self.workingPath = workingPath
    }
}
