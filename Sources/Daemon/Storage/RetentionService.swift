import Foundation
import Logging
import RecorderCore

/// Removes local files of delivered recordings whose retention has passed, or earlier, oldest first, while free
/// space is under the configured minimum (``RetentionPolicy``). Undelivered files are never touched.
struct RetentionService: Sendable {
    let store: RecordingStore
    let config: LiveConfiguration

    /// Runs ``enforce(now:)`` now and every ten minutes until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            await enforce()
            try? await Task.sleep(for: .seconds(600))
        }
    }

    func enforce(now: Date = Date()) async {
        let config = config.current
        let policy = RetentionPolicy(retentionDays: config.uploads.retentionDays, minimumFreeBytes: config.uploads.minimumFreeBytes)
        let files: [(recording: Recording, confirmedAt: Date?)]
        do { files = try await store.catalog.localFiles() } catch {
            store.logger.error("cannot read the local files", metadata: ["error": "\(error)"])
            return
        }
        let free = DiskSpace.of(config.recording.outputDirectory)?.freeBytes ?? .max
        let removable = policy.filesToRemove(files.map { .init(recordingId: $0.recording.recordingId, size: $0.recording.size ?? 0, confirmedAt: $0.confirmedAt) },
                                             now: now, freeBytes: free)
        for id in removable {
            guard var recording = files.first(where: { $0.recording.recordingId == id })?.recording else { continue }
            let logger = store.logger.with(recording: id)
            guard unlink(recording.path) == 0 || errno == ENOENT else {
                logger.error("cannot remove a delivered recording's local file", metadata: ["error": "\(String(cString: strerror(errno)))"])
                continue
            }
            recording.localRemovedAt = now
            await store.save(recording)
            logger.notice("removed the local copy of a delivered recording", metadata: [
                "file": "\(recording.path)", "reason": "\(free < config.uploads.minimumFreeBytes ? "low disk" : "retention")",
            ])
        }
    }
}
