import Catalog
import DurableFiles
import Foundation
import Logging
import Networking
import RecorderCore

/// Runs the durable upload queue: takes due jobs from the catalog (by priority, then age) with up to
/// `workers` at a time, hands each to its target, stores every checkpoint the target reports, and reschedules
/// failures with back-off.
///
/// All state lives in the catalog, so the queue can be killed at any instant: on start, jobs left `uploading`
/// go back to `queued` and resume from their last checkpoint. Outside the upload windows, while a hold is set
/// (a recording is made and uploads must wait) and while paused, no job runs: the ones running stop at their
/// last checkpoint and wait in the queue.
public actor UploadQueue {
    private let catalog: CatalogDatabase
    private var targets: [LibraryTarget: any UploadTarget]
    private let retry: RetryPolicy
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// Told every change of a job (the daemon publishes it as an `upload` event).
    private let onChange: (@Sendable (UploadJob) -> Void)?
    private let doorbell = Doorbell()
    /// Jobs delivered at the same time, at most.
    private let workers: Int
    /// When uploads may use the network.
    private let windows: UploadWindows
    /// A delivery under way: the task doing it (cancelled to pause or cancel the job), and when and from which byte
    /// it started, for its rate.
    private struct Attempt {
        let task: Task<Void, Never>
        let startedAt: Date
        let fromBytes: Int64
    }

    /// The jobs being delivered.
    private var running: [String: Attempt] = [:]
    /// What a caller asked of a running job; read when its delivery stops.
    private var requested: [String: UploadAction] = [:]
    /// Claiming a job and starting its worker, and applying an action to a job, each happen whole: the catalog is
    /// read and written with awaits between, and a job must not be claimed while it is being cancelled (nor
    /// cancelled between its claim and its worker's start).
    private var claimingOrApplying = false
    private var waitingTurn: [CheckedContinuation<Void, Never>] = []
    /// While set, no job is started (a whole-queue pause, until resumed; kept across restarts in `pauseFlag`).
    public private(set) var isPaused = false
    /// A file that exists while the whole queue is paused, so a pause outlives a restart or a power loss.
    private let pauseFlag: String?
    /// Reasons given to ``hold(_:)`` and not yet released.
    private var holds: Set<String> = []
    /// Bytes confirmed by targets since the daemon started, and failed attempts by kind.
    public private(set) var bytesUploaded: Int64 = 0
    public private(set) var failures: [String: Int] = [:]

    public init(catalog: CatalogDatabase, targets: [any UploadTarget], retry: RetryPolicy = RetryPolicy(), workers: Int = 1,
                windows: UploadWindows = UploadWindows(), pauseFlag: String? = nil, now: @escaping @Sendable () -> Date = Date.init,
                onChange: (@Sendable (UploadJob) -> Void)? = nil, logger: Logger) {
        self.pauseFlag = pauseFlag
        self.isPaused = pauseFlag.map { FileManager.default.fileExists(atPath: $0) } ?? false
        self.catalog = catalog
        self.targets = Dictionary(uniqueKeysWithValues: targets.map { ($0.kind, $0) })
        self.retry = retry
        self.workers = max(1, workers)
        self.windows = windows
        self.now = now
        self.onChange = onChange
        self.logger = logger
    }

    /// Tells a running queue that a job was added.
    public func wake() async { await doorbell.ring() }

    /// Replaces the targets (after a configuration reload); a delivery under way finishes on the old one.
    public func replaceTargets(_ newTargets: [any UploadTarget]) {
        targets = Dictionary(uniqueKeysWithValues: newTargets.map { ($0.kind, $0) })
    }

    /// Why no job may run now, if none may.
    public func closedReason() -> String? {
        if isPaused { return "paused" }
        if let hold = holds.sorted().first { return hold }
        if !windows.isOpen(at: now()) { return "outside the upload windows (\(windows.windows.map(\.description).joined(separator: ", ")))" }
        return nil
    }

    /// Stops uploads for `reason` (e.g. "a recording is running") until it is released; running jobs stop at
    /// their last checkpoint (they are told to at once; they wait in the queue a moment later).
    public func hold(_ reason: String) {
        guard holds.insert(reason).inserted else { return }
        logger.notice("uploads held", metadata: ["reason": "\(reason)"])
        for attempt in running.values { attempt.task.cancel() }
    }

    /// Releases a hold.
    public func release(_ reason: String) async {
        guard holds.remove(reason) != nil else { return }
        logger.notice("uploads released", metadata: ["reason": "\(reason)"])
        await doorbell.ring()
    }

    /// Retries, pauses, resumes or cancels a job. A job being delivered is stopped at once and keeps its
    /// checkpoint, so a resumed job goes on from there.
    public func apply(_ action: UploadAction, toJob id: String) async throws(UploadQueueError) -> UploadJob {
        await takeTurn()
        defer { endTurn() }
        let found: UploadJob?
        do { found = try await catalog.uploadJob(id: id) } catch { throw .catalog("the catalog cannot be read: \(error)") }
        guard var job = found else { throw .noSuchJob(id) }
        guard var next = action.nextState(from: job.state) else { throw .notAllowed(action, job.state) }
        if let task = running[id]?.task, job.state == .uploading {
            requested[id] = action
            task.cancel()
            await task.value
            // The delivery stopped as asked, or it had just ended on its own (failed, to be retried later) while
            // its end was being stored: then the action applies to the state it ended in.
            let ended: UploadJob?
            do { ended = try await catalog.uploadJob(id: id) } catch { throw .catalog("the catalog cannot be read: \(error)") }
            guard let ended else { throw .noSuchJob(id) }
            job = ended
            guard job.state != next, let after = action.nextState(from: job.state) else { return job }
            next = after
        }
        job.state = next
        job.updatedAt = now()
        if action == .retry || action == .resume { job.nextAttemptAt = now() }
        if action == .retry { job.attempts = 0 }
        // Stored in this turn, so the queue cannot claim a job that is being cancelled.
        do { try await catalog.update(job) } catch { throw .catalog("the catalog cannot store the job: \(error)") }
        if next == .cancelled { abortRemote(job) }
        logger.notice("upload job \(action.rawValue)", metadata: ["job": "\(id)", "state": "\(next.rawValue)"])
        onChange?(job)
        if next == .queued { await doorbell.ring() }
        return job
    }

    /// Processes jobs until the task is cancelled; then stops the running ones at their last checkpoint.
    public func run() async {
        do {
            let requeued = try await catalog.requeueInterruptedJobs(now: now())
            if requeued > 0 { logger.notice("resuming interrupted uploads", metadata: ["count": "\(requeued)"]) }
        } catch {
            logger.error("cannot requeue interrupted uploads", metadata: ["error": "\(error)"])
        }
        while !Task.isCancelled {
            do {
                let instant = now()
                let windowChange = windows.nextChange(after: instant).map { max(1, $0.timeIntervalSince(instant)) }
                if closedReason() != nil {
                    await stopRunning()
                    await doorbell.wait(seconds: isPaused || !holds.isEmpty ? 3600 : windowChange ?? 3600)
                    continue
                }
                if running.count < workers {
                    await takeTurn()
                    defer { endTurn() }
                    if let job = try await catalog.claimNextJob(now: instant) {
                        start(job)
                        continue
                    }
                }
                var wait = windowChange ?? 3600
                if running.count < workers, let due = try await catalog.nextDueDate() { wait = min(wait, max(0, due.timeIntervalSince(instant))) }
                await doorbell.wait(seconds: wait)
            } catch {
                logger.error("upload queue: catalog error", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await stopRunning()
    }

    private func takeTurn() async {
        while claimingOrApplying { await withCheckedContinuation { waitingTurn.append($0) } }
        claimingOrApplying = true
    }

    private func endTurn() {
        claimingOrApplying = false
        if !waitingTurn.isEmpty { waitingTurn.removeFirst().resume() }
    }

    private func start(_ job: UploadJob) {
        onChange?(job)
        // Unstructured: each job is cancelled on its own (pause, cancel, hold); run() awaits every one before it returns.
        let task = Task {
            await self.process(job)
            await self.finished(job.jobId)
        }
        running[job.jobId] = Attempt(task: task, startedAt: now(), fromBytes: job.bytesConfirmed)
    }

    private func finished(_ jobId: String) async {
        running[jobId] = nil
        await doorbell.ring()
    }

    /// Stops every running delivery at its last checkpoint; the jobs wait in the queue.
    private func stopRunning() async {
        let tasks = running.values.map(\.task)
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Stops starting jobs; the ones running stop at their last checkpoint and wait in the queue.
    public func pauseAll() async {
        isPaused = true
        storePause()
        await stopRunning()
        logger.notice("upload queue paused")
    }

    /// Starts jobs again.
    public func resumeAll() async {
        isPaused = false
        storePause()
        logger.notice("upload queue resumed")
        await doorbell.ring()
    }

    private func storePause() {
        guard let pauseFlag else { return }
        do {
            if isPaused {
                guard FileManager.default.createFile(atPath: pauseFlag, contents: Data("paused through the control socket\n".utf8)) else {
                    throw UploadError("cannot create \(pauseFlag)")
                }
                try FileSync.fsyncFile(at: pauseFlag)
            } else if unlink(pauseFlag) != 0, errno != ENOENT {
                throw UploadError("cannot remove \(pauseFlag): \(String(cString: strerror(errno)))")
            }
            try FileSync.fsyncDirectory(at: (pauseFlag as NSString).deletingLastPathComponent)
        } catch {
            logger.error("the queue's pause is not stored; a restart may not keep it", metadata: ["error": "\(error)"])
        }
    }

    /// A job with its rate and time to completion while it uploads.
    public func detail(of id: String) async throws(UploadQueueError) -> UploadJobDetail {
        let found: UploadJob?
        do { found = try await catalog.uploadJob(id: id) } catch { throw .catalog("the catalog cannot be read: \(error)") }
        guard let job = found else { throw .noSuchJob(id) }
        guard job.state == .uploading, let attempt = running[id] else {
            return UploadJobDetail(job: job, rateBytesPerSecond: nil, etaSeconds: nil)
        }
        let seconds = now().timeIntervalSince(attempt.startedAt)
        let sent = job.bytesConfirmed - attempt.fromBytes
        guard seconds > 0.5, sent > 0 else { return UploadJobDetail(job: job, rateBytesPerSecond: nil, etaSeconds: nil) }
        let rate = Double(sent) / seconds
        return UploadJobDetail(job: job, rateBytesPerSecond: rate, etaSeconds: Double(job.totalBytes - job.bytesConfirmed) / rate)
    }

    /// The age of the oldest job waiting in the queue, in seconds (0 when none waits).
    public func oldestQueuedAge() async -> TimeInterval {
        let jobs = (try? await catalog.uploadJobs()) ?? []
        return jobs.filter { $0.state == .queued || $0.state == .paused }.map { now().timeIntervalSince($0.createdAt) }.max() ?? 0
    }

    /// Frees what a cancelled job left on its target, in a task of its own (not cancelled with the delivery that
    /// was stopped); a failure is logged, the cancel stands.
    private func abortRemote(_ job: UploadJob) {
        guard let target = targets[job.target] else { return }
        let logger = self.logger
        // Detached: freeing the remote upload must not be cancelled with the delivery that was stopped.
        Task.detached {
            do {
                try await target.abort(UploadCheckpoint(remoteId: job.remoteId, bytesConfirmed: job.bytesConfirmed))
            } catch {
                logger.warning("could not free a cancelled upload on its target", metadata: ["job": "\(job.jobId)", "error": "\(error)"])
            }
        }
    }

    /// Runs one claimed job to `done`, or back to `queued` with a later attempt time, or to `failed`.
    func process(_ claimed: UploadJob) async {
        var job = claimed
        let meta: Logger.Metadata = ["job": "\(job.jobId)", "recording": "\(job.recordingId)", "target": "\(job.target)", "attempt": "\(job.attempts)"]
        do {
            guard let target = targets[job.target] else { throw PermanentUploadError("no target of kind \(job.target.rawValue) is configured") }
            guard let recording = try await catalog.recording(id: job.recordingId) else { throw PermanentUploadError("the recording is not in the catalog") }
            logger.info("upload started", metadata: meta.merging(["from": "\(job.bytesConfirmed)"]) { $1 })
            let catalog = self.catalog
            let jobId = job.jobId
            let clock = now
            let onChange = self.onChange
            let final = try await target.deliver(recording, from: UploadCheckpoint(remoteId: job.remoteId, bytesConfirmed: job.bytesConfirmed)) { checkpoint in
                // Persist before the target goes on: a restart resumes from here.
                guard let current = try await catalog.checkpoint(jobId: jobId, remoteId: checkpoint.remoteId,
                                                                 bytesConfirmed: checkpoint.bytesConfirmed, at: clock()) else { return }
                onChange?(current)
            }
            requested[job.jobId] = nil  // finished before a pause or cancel could stop it
            job = try await catalog.uploadJob(id: job.jobId) ?? job
            bytesUploaded += max(0, final.bytesConfirmed - claimed.bytesConfirmed)
            job.state = .done
            job.remoteId = final.remoteId
            job.bytesConfirmed = final.bytesConfirmed
            job.lastError = nil
            job.updatedAt = now()
            try await catalog.update(job)
            onChange?(job)
            logger.notice("upload done", metadata: meta.merging(["remote": "\(final.remoteId ?? "")", "bytes": "\(final.bytesConfirmed)"]) { $1 })
        } catch {
            job = (try? await catalog.uploadJob(id: job.jobId)) ?? job
            job.updatedAt = now()
            let action = requested.removeValue(forKey: job.jobId)
            if error is CancellationError || action != nil {
                // Stopped, not failed: paused or cancelled as asked, else (a shutdown) back in the queue; the
                // attempt does not count, and the checkpoint stays for a resume.
                job.state = action.flatMap { $0.nextState(from: .uploading) } ?? .queued
                if job.state == .cancelled { abortRemote(job) }
                job.attempts = max(0, job.attempts - 1)
                logger.info("upload stopped; it resumes from its checkpoint", metadata: meta.merging(["state": "\(job.state.rawValue)"]) { $1 })
                do { try await catalog.update(job) } catch { logger.error("cannot store the upload's state", metadata: ["error": "\(error)"]) }
                onChange?(job)
                return
            }
            if let deferred = error as? UploadDeferred {
                // Waiting, not failing: the attempt does not count and the job keeps its checkpoint.
                job.state = .queued
                job.attempts = max(0, job.attempts - 1)
                job.lastError = deferred.reason
                job.nextAttemptAt = deferred.until
                bytesUploaded += max(0, job.bytesConfirmed - claimed.bytesConfirmed)
                logger.info("upload waits", metadata: meta.merging(["reason": "\(deferred.reason)", "until": "\(deferred.until)"]) { $1 })
                do { try await catalog.update(job) } catch { logger.error("cannot store the upload's state", metadata: ["error": "\(error)"]) }
                onChange?(job)
                return
            }
            job.lastError = "\(error)"
            bytesUploaded += max(0, job.bytesConfirmed - claimed.bytesConfirmed)
            // A file that changed while it was sent fails the same way every time.
            let permanent = error is PermanentUploadError || error is HTTPTransport.FileChanged
            failures[permanent ? "permanent" : "transient", default: 0] += 1
            if permanent {
                job.state = .failed
                logger.error("upload failed for good", metadata: meta.merging(["error": "\(error)"]) { $1 })
            } else {
                job.state = .queued
                job.nextAttemptAt = now().addingTimeInterval(retry.delay(afterFailures: job.attempts, retryAfter: (error as? RetryAfterError)?.retryAfter))
                logger.warning("upload attempt failed; will retry", metadata: meta.merging(["error": "\(error)", "retryAt": "\(job.nextAttemptAt)"]) { $1 })
            }
            do { try await catalog.update(job) } catch { logger.error("cannot store the upload's state", metadata: ["error": "\(error)"]) }
            onChange?(job)
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
            Task { await self.ring() }  // unstructured: a cancellation handler is synchronous and the ring needs the actor
        }
    }

    private func waitForRing(seconds: TimeInterval) async {
        if rang {
            rang = false
            return
        }
        generation += 1
        let mine = generation
        // Unstructured: the timer must end the wait below, which holds the actor's continuation; cancelled after it.
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
