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
    /// The field names of the control API's JSON and the catalog's columns, named once.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case jobId, recordingId, target, state, priority, attempts, nextAttemptAt, bytesConfirmed, totalBytes, remoteId, lastError, createdAt, updatedAt
    }

    public var jobId: String
    public var recordingId: String
    /// Where it is delivered (the configured `[library] target` when it was queued).
    public var target: LibraryTarget
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

    public init(jobId: String, recordingId: String, target: LibraryTarget, state: UploadState = .queued, priority: Int = 0,
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

/// What a caller may ask of an upload job through the control socket.
public enum UploadAction: String, Codable, Sendable, CaseIterable {
    /// A failed or cancelled job goes back to the queue, its attempts counted afresh.
    case retry
    /// A queued or uploading job waits until resumed; an upload under way stops at its last checkpoint.
    case pause
    /// A paused job goes back to the queue and continues from its checkpoint.
    case resume
    /// A job that is not done is given up.
    case cancel

    /// The state `action` leads to from `state`, or nil when it does not apply.
    public func nextState(from state: UploadState) -> UploadState? {
        switch (self, state) {
        case (.retry, .failed), (.retry, .cancelled): .queued
        case (.pause, .queued), (.pause, .uploading): .paused
        case (.resume, .paused): .queued
        case (.cancel, .queued), (.cancel, .uploading), (.cancel, .paused), (.cancel, .failed): .cancelled
        default: nil
        }
    }
}

/// `GET /v1/uploads/{id}`: a job with how fast it is moving and when it should be done.
public struct UploadJobDetail: Codable, Equatable, Sendable {
    public var job: UploadJob
    /// Bytes per second over the current attempt, while it uploads.
    public var rateBytesPerSecond: Double?
    /// Seconds until done at that rate.
    public var etaSeconds: Double?

    public init(job: UploadJob, rateBytesPerSecond: Double?, etaSeconds: Double?) {
        self.job = job
        self.rateBytesPerSecond = rateBytesPerSecond
        self.etaSeconds = etaSeconds
    }

    private enum Extra: String, CodingKey { case rateBytesPerSecond, etaSeconds }

    public init(from decoder: Decoder) throws {
        job = try UploadJob(from: decoder)
        let extra = try decoder.container(keyedBy: Extra.self)
        rateBytesPerSecond = try extra.decodeIfPresent(Double.self, forKey: .rateBytesPerSecond)
        etaSeconds = try extra.decodeIfPresent(Double.self, forKey: .etaSeconds)
    }

    /// The job's fields and the two figures side by side in one object.
    public func encode(to encoder: Encoder) throws {
        try job.encode(to: encoder)
        var extra = encoder.container(keyedBy: Extra.self)
        try extra.encodeIfPresent(rateBytesPerSecond, forKey: .rateBytesPerSecond)
        try extra.encodeIfPresent(etaSeconds, forKey: .etaSeconds)
    }
}
