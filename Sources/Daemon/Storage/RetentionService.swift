import Foundation
import Logging
import RecorderCore

/// Removes local files of delivered recordings whose retention has passed, or earlier, oldest first, while free
/// space is under the configured minimum (``RetentionPolicy``). Undelivered files are never touched.
///
/// It looks every ten minutes, right after each delivery while space is short (`[uploads] min_free_gb`), and
/// when a recording cannot start for space (``makeRoom(for:)``): a class is never lost to space that delivered
/// recordings hold.
struct RetentionService: Sendable {
    let store: RecordingStore
    let config: LiveConfiguration

    /// Runs ``enforce(now:atLeast:)`` now, every ten minutes and after each delivery while space is short, until
    /// the task is cancelled.
    func run() async {
        let deliveries = store.events.subscribe()
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    await enforce()
                    try? await Task.sleep(for: .seconds(600))
                }
            }
            for await event in deliveries where event.type == .upload && event.upload?.state == .done {
                let current = config.current
                if let free = DiskSpace.of(current.recording.outputDirectory)?.freeBytes, free < current.uploads.minimumFreeBytes { await enforce() }
            }
            group.cancelAll()
        }
    }

    /// Removes delivered local copies, oldest first, until `bytes` are free where recordings are written (or
    /// none is left); returns the free bytes then.
    @discardableResult
    func makeRoom(for bytes: Int64) async -> Int64? {
        await enforce(atLeast: bytes)
        return DiskSpace.of(config.current.recording.outputDirectory)?.freeBytes
    }

    /// Removes what the policy says may go; `atLeast` raises the free space to keep for this one look.
    func enforce(now: Date = Date(), atLeast: Int64 = 0) async {
        let config = config.current
        let keepFree = max(config.uploads.minimumFreeBytes, atLeast)
        let policy = RetentionPolicy(retentionDays: config.uploads.retentionDays, minimumFreeBytes: keepFree)
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
                "file": "\(recording.path)", "reason": "\(free < keepFree ? "low disk" : "retention")",
            ])
        }
    }
}
