import Catalog
import Foundation
import Logging
import RecorderCore

/// Runs the durable upload queue: takes due jobs from the catalog one at a time, hands each to its target,
/// stores every checkpoint the target reports, and reschedules failures with back-off.
///
/// All state lives in the catalog, so the queue can be killed at any instant: on start, jobs left `uploading`
/// go back to `queued` and resume from their last checkpoint.
public actor UploadQueue {
    private let catalog: CatalogDatabase
    private let targets: [String: any UploadTarget]
    private let retry: RetryPolicy
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let doorbell = Doorbell()

    public init(catalog: CatalogDatabase, targets: [any UploadTarget], retry: RetryPolicy = RetryPolicy(),
                now: @escaping @Sendable () -> Date = Date.init, logger: Logger) {
        self.catalog = catalog
        self.targets = Dictionary(uniqueKeysWithValues: targets.map { ($0.kind, $0) })
        self.retry = retry
        self.now = now
        self.logger = logger
    }

    /// Tells a running queue that a job was added.
    public func wake() async { await doorbell.ring() }

    /// Processes jobs until the task is cancelled.
    public func run() async {
        do {
            let requeued = try catalog.requeueInterruptedJobs(now: now())
            if requeued > 0 { logger.notice("resuming interrupted uploads", metadata: ["count": "\(requeued)"]) }
        } catch {
            logger.error("cannot requeue interrupted uploads", metadata: ["error": "\(error)"])
        }
        while !Task.isCancelled {
            do {
                if let job = try catalog.claimNextJob(now: now()) {
                    await process(job)
                    continue
                }
                let wait = try catalog.nextDueDate().map { max(0, $0.timeIntervalSince(now())) } ?? 3600
                await doorbell.wait(seconds: wait)
            } catch {
                logger.error("upload queue: catalog error", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs one claimed job to `done`, or back to `queued` with a later attempt time, or to `failed`.
    func process(_ claimed: UploadJob) async {
        var job = claimed
        let meta: Logger.Metadata = ["job": "\(job.jobId)", "recording": "\(job.recordingId)", "target": "\(job.target)", "attempt": "\(job.attempts)"]
        do {
            guard let target = targets[job.target] else { throw PermanentUploadError("no target of kind \(job.target) is configured") }
            guard let recording = try catalog.recording(id: job.recordingId) else { throw PermanentUploadError("the recording is not in the catalog") }
            logger.info("upload started", metadata: meta.merging(["from": "\(job.bytesConfirmed)"]) { $1 })
            let catalog = self.catalog
            let jobId = job.jobId
            let clock = now
            let final = try await target.deliver(recording, from: UploadCheckpoint(remoteId: job.remoteId, bytesConfirmed: job.bytesConfirmed)) { checkpoint in
                // Persist before the target goes on: a restart resumes from here.
                guard var current = try catalog.uploadJob(id: jobId) else { return }
                current.remoteId = checkpoint.remoteId
                current.bytesConfirmed = checkpoint.bytesConfirmed
                current.updatedAt = clock()
                try catalog.update(current)
            }
            job = try catalog.uploadJob(id: job.jobId) ?? job
            job.state = .done
            job.remoteId = final.remoteId
            job.bytesConfirmed = final.bytesConfirmed
            job.lastError = nil
            job.updatedAt = now()
            try catalog.update(job)
            logger.notice("upload done", metadata: meta.merging(["remote": "\(final.remoteId ?? "")", "bytes": "\(final.bytesConfirmed)"]) { $1 })
        } catch {
            job = (try? catalog.uploadJob(id: job.jobId)) ?? job
            job.updatedAt = now()
            if error is CancellationError {
                // Stopped by a shutdown, not failed: back in the queue, and the attempt does not count.
                job.state = .queued
                job.attempts = max(0, job.attempts - 1)
                logger.info("upload paused for shutdown; it resumes from its checkpoint", metadata: meta)
                do { try catalog.update(job) } catch { logger.error("cannot store the upload's state", metadata: ["error": "\(error)"]) }
                return
            }
            job.lastError = "\(error)"
            if error is PermanentUploadError {
                job.state = .failed
                logger.error("upload failed for good", metadata: meta.merging(["error": "\(error)"]) { $1 })
            } else {
                job.state = .queued
                job.nextAttemptAt = now().addingTimeInterval(retry.delay(afterFailures: job.attempts))
                logger.warning("upload attempt failed; will retry", metadata: meta.merging(["error": "\(error)", "retryAt": "\(job.nextAttemptAt)"]) { $1 })
            }
            do { try catalog.update(job) } catch { logger.error("cannot store the upload's state", metadata: ["error": "\(error)"]) }
        }
    }
}

/// A wake-up signal that a sleeper can wait on with a timeout; a ring while no one waits is kept for the next
/// wait, so a job added between two looks at the queue is never missed.
actor Doorbell {
    private var waiter: CheckedContinuation<Void, Never>?
    private var generation = 0
    private var rang = false

    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            rang = true
        }
    }

    /// Returns at the next ring, after `seconds`, or when the waiting task is cancelled.
    func wait(seconds: TimeInterval) async {
        await withTaskCancellationHandler {
            await waitForRing(seconds: seconds)
        } onCancel: {
            Task { await self.ring() }
        }
    }

    private func waitForRing(seconds: TimeInterval) async {
        if rang {
            rang = false
            return
        }
        generation += 1
        let mine = generation
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(seconds))
            await self?.expire(mine)
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
    }

    private func expire(_ which: Int) {
        guard which == generation, let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
