import DurableFiles
import Foundation
import RecorderCore

/// Where an upload stands, as the target has confirmed it. The queue stores every checkpoint before it asks
/// for more, so after a restart a target resumes from the last one instead of starting over.
public struct UploadCheckpoint: Equatable, Sendable {
    /// The target's id of the object being delivered: a path, an S3 upload id or key, a Kaltura entry id.
    public var remoteId: String?
    /// Bytes the target has durably received.
    public var bytesConfirmed: Int64

    public init(remoteId: String? = nil, bytesConfirmed: Int64 = 0) {
        self.remoteId = remoteId
        self.bytesConfirmed = bytesConfirmed
    }
}

/// A media library a recording is delivered to. Delivery is resumable and chunked: the target reports a
/// checkpoint after every chunk it has durably received, and is asked to continue from the last stored one.
public protocol UploadTarget: Sendable {
    /// The kind stored in each job, e.g. `folder`.
    var kind: LibraryTarget { get }

    /// Delivers `recording`'s file, starting from `checkpoint`, reporting progress through `report` (which the
    /// queue persists before returning). Returns the final checkpoint, whose `remoteId` names the delivered
    /// object. Must never create a second object for one recording, whatever checkpoint it is resumed from.
    func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                 report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint

    /// Gives up what a cancelled job left on the target (an unfinished multipart upload, a partial file).
    func abort(_ checkpoint: UploadCheckpoint) async throws
}

extension UploadTarget {
    public func abort(_ checkpoint: UploadCheckpoint) async throws {}

    /// The size of the recording's file; a missing file fails the job for good.
    public func fileSize(of recording: Recording) throws -> Int64 {
        do {
            return try FileSync.size(of: recording.path)
        } catch {
            throw PermanentUploadError("the recording's file is missing: \(recording.path)")
        }
    }
}

/// A failed delivery that a later attempt may get through (the network, the server's own failures).
public struct UploadError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A delivery that failed in a way a retry cannot fix (the file is gone, the content does not match).
public struct PermanentUploadError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A delivery that cannot go on yet for a reason that will pass by itself (an Opencast event whose other parts
/// are still being recorded): the job waits in the queue until `until`, and the wait is not a failed attempt.
public struct UploadDeferred: Error, CustomStringConvertible {
    public let reason: String
    public let until: Date
    public init(_ reason: String, until: Date) {
        self.reason = reason
        self.until = until
    }
    public var description: String { reason }
}
