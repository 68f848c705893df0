import Catalog
import ControlContract
import Foundation
import Logging
import RecorderCore

/// A recording's rows in the catalog, and the one way its state changes: stored, checked against
/// ``RecordingState/successors``, logged, and told to event subscribers.
struct RecordingStore: Sendable {
    let catalog: CatalogDatabase
    let events: EventHub
    let logger: Logger

    /// Stores a recording's new state, logs the transition and tells event subscribers.
    func save(_ recording: Recording) async {
        let logger = logger.with(recording: recording.recordingId)
        let previous: RecordingState?
        do {
            previous = try await catalog.transition(recording)
        } catch {
            logger.error("cannot store a recording's state", metadata: ["error": "\(error)"])
            previous = nil
        }
        if let previous, previous != recording.status {
            if !previous.canMove(to: recording.status) {
                logger.critical("a recording moved between states that do not follow each other", metadata: [
                    "from": "\(previous.rawValue)", "to": "\(recording.status.rawValue)"])
            }
            logger.info("recording state changed", metadata: ["from": "\(previous.rawValue)", "to": "\(recording.status.rawValue)",
                                                              "reason": "\(recording.reason ?? "-")"])
        }
        events.publish(.recording, recording: recording)
    }

    /// Stores a new recording (state `starting`) and tells event subscribers.
    func insert(_ recording: Recording) async throws(ControlError) {
        do { try await catalog.insert(recording) } catch { throw .unavailable("the catalog cannot store a new recording: \(error)") }
        events.publish(.recording, recording: recording)
    }

    func recording(id: String) async throws(ControlError) -> Recording {
        let found: Recording?
        do { found = try await catalog.recording(id: id) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        guard let found else { throw .notFound("no recording \(id)") }
        return found
    }

    func recordings(_ query: RecordingQuery) async throws(ControlError) -> RecordingPage {
        var found: [Recording]
        do { found = try await catalog.recordings(matching: query) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        let truncated = found.count > query.maxItems
        if truncated { found.removeLast(found.count - query.maxItems) }
        let token = truncated ? found.last.map { PageToken(startDate: $0.startDate, recordingId: $0.recordingId).encoded } : nil
        return RecordingPage(recordings: found, isTruncated: truncated, nextPageToken: token, maxItems: query.maxItems)
    }

    /// Deletes a finished recording's file, row and upload jobs; refused while it is uploaded.
    func delete(_ recording: Recording, by caller: Caller) async throws(ControlError) {
        let id = recording.recordingId
        let jobs: [UploadJob]
        do { jobs = try await catalog.uploadJobs(recordingId: id) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        if jobs.contains(where: { $0.state == .uploading }) {
            throw .conflict("recording \(id) is being uploaded; pause or cancel the upload first")
        }
        for path in [recording.path, recording.workingPath].compactMap({ $0 }) {
            if unlink(path) != 0, errno != ENOENT {
                throw .unavailable("cannot delete \(path): \(String(cString: strerror(errno)))")
            }
        }
        do { _ = try await catalog.deleteRecording(id: id) } catch { throw .unavailable("the catalog cannot delete \(id): \(error)") }
        logger.notice("recording deleted", metadata: ["recording": "\(id)", "by": "\(caller)", "file": "\(recording.path)"])
    }
}

extension Logger {
    /// This logger with the recording's id on every line it writes.
    func with(recording id: String) -> Logger {
        var logger = self
        logger[metadataKey: "recording"] = "\(id)"
        return logger
    }
}
