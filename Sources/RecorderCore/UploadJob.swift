import Foundation

/// The states of an upload job in the durable queue.
public enum UploadState: String, Codable, Sendable, CaseIterable {
    case queued
    case uploading
    case paused
    case done
    case failed
    case cancelled
}

/// One recording's delivery to the media library.
public struct UploadJob: Codable, Equatable, Sendable {
    public var jobId: String
    public var recordingId: String
    /// The target kind, e.g. `folder`.
    public var target: String
    public var state: UploadState
    /// Higher runs first; ties go oldest first.
    public var priority: Int
    public var attempts: Int
    public var nextAttemptAt: Date
    /// Bytes the target has confirmed.
    public var bytesConfirmed: Int64
    public var totalBytes: Int64
    /// The target's id for the delivered object: a path, an S3 key, a Kaltura entry id.
    public var remoteId: String?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(jobId: String, recordingId: String, target: String, state: UploadState = .queued, priority: Int = 0,
                attempts: Int = 0, nextAttemptAt: Date, bytesConfirmed: Int64 = 0, totalBytes: Int64, remoteId: String? = nil,
                lastError: String? = nil, createdAt: Date, updatedAt: Date) {
        self.jobId = jobId
        self.recordingId = recordingId
        self.target = target
        self.state = state
        self.priority = priority
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.bytesConfirmed = bytesConfirmed
        self.totalBytes = totalBytes
        self.remoteId = remoteId
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
