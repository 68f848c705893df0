import ControlContract
import Foundation
import Logging
import Media
import RecorderCore
import SystemIntegration
import Uploads

/// What the recording controller needs of the rest of the daemon: the narrow interface it declares, which the
/// daemon's facade implements (mediamtx's `pathManagerParent`).
protocol RecordingControllerParent: AnyObject, Sendable {
    /// The room started (true) or stopped (false) recording: the online room shows it.
    func recordingChanged(_ recording: Bool) async
    /// A booked block's next part is due: the schedule starts it if the block still runs.
    func nextPartOfBlockDue() async
    /// A booked recording was stopped by a person or by the session's rules: its bookings are not started again.
    func bookingsDismissed(_ bookingIDs: [String]) async
    /// A booked recording failed: the schedule waits before it tries again.
    func bookedRecordingFailed() async
    /// A recording cannot start for space: delivered local copies are removed, oldest first, until `bytes` are
    /// free or none is left. Returns the free bytes then.
    func makeRoom(for bytes: Int64) async -> Int64?
}

/// The recording in progress: one ``RecordingSupervisor`` deciding, one ``RecordingPipeline`` writing, and the
/// work of each recording (its pipeline run and its finalizing) as child tasks of ``run()``, so a stop waits for
/// every file to be finalized and queued.
actor RecordingController {
    var supervisor: RecordingSupervisor
    var active: Active? {
        didSet { board.update { [active] in $0.current = active?.recording; $0.pipeline = active?.pipeline } }
    }
    weak var parent: (any RecordingControllerParent)?
    private let work = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
    /// Recordings whose pipeline or finalizing has not ended.
    var working: Set<String> = []
    /// The breakout room of the online session the room is in, by name: recordings made there carry it after
    /// their title. Nil in the main room.
    var breakout: String?
    /// Why the room last moved, for a recording that started while it moved.
    var moveReason: String?
    /// The online session id that links the recordings of a class moved between its rooms, from the first move
    /// while recording until a recording ends without a next part.
    var sessionLink: String?

    /// The recording being written and its pipeline.
    struct Active {
        var recording: Recording
        let pipeline: RecordingPipeline
        let requestedAt: MonotonicInstant
        /// When it was asked to stop, to measure how long its file takes to be finalized and queued.
        var stopRequestedAt: MonotonicInstant?
    }

    /// Counters for metrics.
    private(set) var recordingsStarted = 0
    var droppedVideoFrames = 0
    /// Seconds from the last start request to its first video frame reaching the muxer.
    var lastStartLatency: Double?
    /// Seconds from the last stop request to its file being finalized and queued.
    var lastStopLatency: Double?

    /// Finalizes what each recording wrote; its store, queue, configuration, notifier and logger are the
    /// controller's too.
    let finalizer: RecordingFinalizer
    let encoders: EncoderPlan
    /// The room's camera and microphone, and the participants on stage: what each recording attaches to.
    let sources: RoomSources
    let stage: RemoteStage
    let board: StatusBoard
    /// Levels, previews and alarms from each recording's pipeline.
    let monitor: (any PipelineTap)?
    nonisolated var store: RecordingStore { finalizer.store }
    nonisolated var uploads: UploadQueue { finalizer.uploads }
    nonisolated var config: LiveConfiguration { finalizer.config }
    nonisolated var notifier: SystemdNotifier { finalizer.notifier }
    nonisolated var logger: Logger { finalizer.logger }

    /// The hold on uploads while a recording runs, when `[uploads] while_recording = false`.
    static let recordingHold = "a recording is running (while_recording = false)"

    init(finalizer: RecordingFinalizer, encoders: EncoderPlan, sources: RoomSources, stage: RemoteStage, board: StatusBoard,
         monitor: (any PipelineTap)? = nil) {
        self.monitor = monitor
        supervisor = RecordingSupervisor(limits: finalizer.config.current.recording.rules)
        self.finalizer = finalizer
        self.encoders = encoders
        self.sources = sources
        self.stage = stage
        self.board = board
    }

    func connect(_ parent: any RecordingControllerParent) { self.parent = parent }

    // MARK: What others ask

    var current: Recording? { active?.recording }
    var currentPipeline: RecordingPipeline? { active?.pipeline }
    var currentBlock: SchedulePlanner.Block? { supervisor.current?.start.block }
    var isRecording: Bool { supervisor.isRecording }
    var isShuttingDown: Bool { supervisor.isShuttingDown }

    /// Whether the recording `id` is being written or finalized.
    func isWorking(on id: String) -> Bool { working.contains(id) || active?.recording.recordingId == id }

    /// Whether the recording pipeline (if any) delivered a frame in the last `seconds`.
    func isMakingProgress(within seconds: Double) -> Bool {
        active.map { $0.recording.status != .active || $0.pipeline.secondsSinceProgress < seconds } ?? true
    }

    /// Runs `job` as a child of ``run()``: a stop waits for it.
    func spawn(_ job: @escaping @Sendable () async -> Void) { work.continuation.yield(job) }

    /// Runs the recordings' work until ``shutdown(reason:)`` and waits for all of it, watching the rules (the
    /// part limit, the series limit, the host's grace, the disk reserve) four times a second. Not isolated:
    /// a recording's pipeline starts the moment it is spawned, not when the actor is next free (its sources attach
    /// as it runs, and its first frames are due at once).
    nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchRules() }
            for await job in work.stream { group.addTask(operation: job) }
        }
    }

    private func watchRules() async {
        while !supervisor.isShuttingDown {
            await enforceRules()
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Refuses new recordings, stops the one in progress (`aborted` with `reason`), and lets ``run()`` end once
    /// every recording is finalized and queued.
    func shutdown(reason: String) async {
        if case .stopPipeline = supervisor.shutdown(reason: reason) { await beginStopping() }
        work.continuation.finish()
    }

    /// Starts a recording; refused while one is in progress, while roomrecd stops, or with too little free space.
    func start(_ request: StartRecordingRequest, initiator: String, block: SchedulePlanner.Block? = nil) async throws(ControlError) -> Recording {
        let current = config.current
        let title = request.title ?? current.room.title
        supervisor.limits = current.recording.rules
        switch supervisor.startAsked(.init(initiator: initiator, title: title, block: block)) {
        case .failure(.shuttingDown): throw .unavailable("roomrecd is shutting down")
        case .failure(.busy(let id, let state)): throw .conflict("recording \(id ?? "") is already \(state.rawValue); stop it first")
        case .success: break
        }
        let folder = current.recording.outputDirectory
        let needed = current.recording.minimumFreeBytes
        if let disk = DiskSpace.of(folder), disk.freeBytes < needed {
            // Space that delivered recordings hold is the class's: their local copies go first.
            let free = await parent?.makeRoom(for: needed) ?? disk.freeBytes
            if free < needed {
                supervisor.startFailed()
                let waiting = (try? await store.catalog.localFiles().filter { $0.confirmedAt == nil }) ?? []
                let held = waiting.reduce(Int64(0)) { $0 + ($1.recording.size ?? 0) }
                throw .unavailable("only \(free >> 20) MiB are free in \(folder); a recording needs at least \(needed >> 20) MiB to start "
                                   + "([recording] min_free_mb). No delivered recording is left to remove; \(waiting.count) not yet delivered "
                                   + "hold \(held >> 20) MiB (see roomrecctl queue). Free some space or lower min_free_mb")
            }
        }
        let requestedAt = MonotonicInstant.now()
        let now = Date()
        let id = UUID().uuidString.lowercased()
        // The supervisor keeps the title asked for; the recording is named after the room it is made in.
        let breakoutAtStart = breakout
        let titled = breakoutAtStart.map { "\(title) (\($0))" } ?? title
        let name = RecordingName(startedAt: now, title: titled, timeZone: .current)
        var recording = Recording(
            recordingId: id, roomId: current.room.id, title: titled, name: name.displayName, filename: name.fileName,
            status: .starting, owner: block?.owner ?? current.room.type.recordingOwner(roomOwner: current.room.owner, initiator: initiator),
            initiator: initiator, startDate: now, path: RecordingFinalizer.workingPath(id: id, in: folder))
        recording.templateEntryId = block?.templateEntryID
        recording.opencastEventId = block?.opencastEventID
        recording.sessionId = sessionLink
        recording.workingPath = recording.path
        do { try await store.insert(recording) } catch {
            supervisor.startFailed()
            throw error
        }
        recordingsStarted += 1
        let logger = logger.with(recording: id)
        let holdsUploads = !current.uploads.whileRecording
        if holdsUploads {
            await uploads.hold(Self.recordingHold)
            await board.showWhyUploadsWait(uploads)
        }
        let video = VideoEncoderSettings(preset: await encoders.x264Preset, bitrateKbps: current.recording.videoBitrateKbps,
                                         encoder: await encoders.encoder)
        let pipeline: RecordingPipeline
        do {
            pipeline = try RecordingPipeline(
                workingPath: recording.path, video: video,
                audio: AudioEncoderSettings(bitrateKbps: current.recording.audioBitrateKbps),
                layout: current.recording.layout, sources: sources, report: RoomSources.reporter(events: store.events, logger: logger),
                tap: monitor)
        } catch {
            supervisor.startFailed()
            if holdsUploads {
                await uploads.release(Self.recordingHold)
                await board.showWhyUploadsWait(uploads)
            }
            try? FileManager.default.removeItem(atPath: recording.path)
            recording.status = .failed
            recording.reason = "could not start: \(error)"
            recording.endDate = Date()
            recording.workingPath = nil
            await store.save(recording)
            logger.error("recording failed to start", metadata: ["error": "\(error)"])
            throw .unavailable("the recording could not start: \(error)")
        }
        // From here to the spawn nothing is awaited: the pipeline's output instants start at its origin, and its
        // sources attach only when it runs. Whatever ends it waits for this start's bookkeeping (the actor), and
        // the catalog stores the start's writes before the end's (GRDB writes in order).
        recording.status = .active
        active = Active(recording: recording, pipeline: pipeline, requestedAt: requestedAt)
        working.insert(id)
        let stopAtOnce = supervisor.started(recordingID: id, at: pipeline.origin)
        stage.attach(pipeline)
        spawn { [self] in
            let outcome = await pipeline.run()
            await pipelineEnded(id: id, outcome: outcome)
        }
        await store.save(recording)
        await encoders.recordingStarted(with: pipeline.encoderNames)
        logger.notice("recording started", metadata: ["name": "\(recording.name)", "initiator": "\(initiator)"])
        notifier.status("Recording \"\(recording.name)\"")
        await parent?.recordingChanged(true)
        if case .stopPipeline? = stopAtOnce { await beginStopping() }
        // The room moved while this start awaited: it is named after, and records, the room it left; the next
        // part goes where the room is.
        if breakout != breakoutAtStart, let reason = moveReason { await roomMoved(to: breakout, reason: reason) }
        return active?.recording ?? recording
    }

    /// Stops the recording in progress (`id` nil: whichever it is) because of `intent`; answers it, `ending`.
    func stop(id: String?, because intent: RecordingSupervisor.StopIntent) async throws(ControlError) -> Recording {
        guard let current = active, id == nil || id == current.recording.recordingId else {
            if let id {
                _ = try await store.recording(id: id)  // 404 for an unknown id
                throw .conflict("recording \(id) is not in progress")
            }
            throw .conflict("no recording is active")
        }
        switch supervisor.stopAsked(intent) {
        case .notRecording: throw .conflict("no recording is active")
        case .alreadyStopping(_, let state): throw .conflict("recording \(current.recording.recordingId) is already \(state.rawValue)")
        case .stopPipeline(_, let dismissed):
            if !dismissed.isEmpty { await parent?.bookingsDismissed(dismissed) }
            logger.with(recording: current.recording.recordingId).notice("recording stopping", metadata: ["by": "\(intent)"])
            return await beginStopping() ?? current.recording
        }
    }

    /// The schedule's block follows the recording in progress. A block that adopts a recording asked for by hand
    /// gives it its owner and its Kaltura template (the title stays: the file is named after it already); an
    /// Opencast event that comes to lead the block binds the recording to it.
    func follow(_ block: SchedulePlanner.Block) async {
        let adopting = supervisor.current?.start.block == nil
        supervisor.follow(block)
        guard var followed = active?.recording else { return }
        var changed = false
        if adopting {
            logger.with(recording: followed.recordingId).notice("a scheduled event adopts the recording in progress", metadata: ["block": "\(block.title)"])
            if block.owner != nil || block.templateEntryID != nil {
                followed.owner = block.owner ?? followed.owner
                followed.templateEntryId = block.templateEntryID
                changed = true
            }
        }
        if followed.opencastEventId == nil, let uid = block.opencastEventID {
            followed.opencastEventId = uid
            changed = true
        }
        guard changed else { return }
        active?.recording = followed
        await store.save(followed)
    }

    /// The recording in progress records an Opencast event from now on (an ad-hoc recording the agent put into
    /// Opencast's schedule): its ingest is bound to the event.
    func link(recording id: String, toOpencastEvent uid: String) async {
        guard var linked = active?.recording, linked.recordingId == id, linked.opencastEventId == nil else { return }
        linked.opencastEventId = uid
        active?.recording = linked
        await store.save(linked)
    }

    /// The session's host left or came back: their grace runs for the recording in progress.
    func hostLeft(at instant: MonotonicInstant) { supervisor.hostLeft(at: instant) }
    func hostReturned() { supervisor.hostReturned() }

    /// Moves the recording in progress to `ending`, asks its pipeline to stop after the frame in hand, and tells
    /// the online room.
    @discardableResult
    func beginStopping() async -> Recording? {
        guard var current = active, current.stopRequestedAt == nil else { return active?.recording }
        current.recording.status = .ending
        current.stopRequestedAt = .now()
        active = current
        await store.save(current.recording)
        current.pipeline.stop()
        stage.attach(nil)
        await parent?.recordingChanged(false)
        return current.recording
    }

    /// Applies the ``RecordingRules`` to the recording in progress (see ``RecordingSupervisor/ruleIntent(at:freeBytes:)``).
    func enforceRules(now: MonotonicInstant = .now()) async {
        guard let current = active else { return }
        let free = DiskSpace.of(config.current.recording.outputDirectory)?.freeBytes
        guard let intent = supervisor.ruleIntent(at: now, freeBytes: free),
              case .stopPipeline(let part, let dismissed) = supervisor.stopAsked(intent) else { return }
        if !dismissed.isEmpty { await parent?.bookingsDismissed(dismissed) }
        await beginStopping()
        let logger = logger.with(recording: current.recording.recordingId)
        switch intent {
        case .partLimit:
            logger.notice("recording reached its duration limit", metadata: ["limit": "\(TimeSpan(part.rules.limits.maxDuration))"])
        case .rule(let reason):
            if case .lowDisk = reason {
                store.events.publish(.warning, recording: current.recording, message: "stopping the recording: \(reason.description)")
                logger.warning("recording stopping: low disk space", metadata: ["reason": "\(reason.description)"])
            } else {
                logger.notice("recording stopping by the platform's rules", metadata: ["reason": "\(reason.description)"])
            }
        case .person, .schedule, .shutdown, .roomMoved: break
        }
    }
}
