import Capture
import Catalog
import DurableFiles
import Foundation
import Logging
import Media
import RecorderCore
import SystemIntegration
import Uploads

/// The daemon's state and decisions: at most one recording at a time, its lifecycle in the catalog, its
/// file finalized and queued for upload when it ends, and recovery of what a crash left behind.
/// The control socket reaches it only through ``ControlService``.
public actor RecorderDaemon: ControlService {
    private var config: RoomRecorderConfig
    /// The file the configuration was read from, for reloads; nil when given in code.
    private let configPath: String?
    private let catalog: CatalogDatabase
    private let uploads: UploadQueue
    private let throttle: Throttle?
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let eventHub: EventHub
    /// Video frames dropped by every recording since the daemon started.
    private var droppedVideoFrames = 0
    /// Recordings started since the daemon started.
    private var recordingsStarted = 0
    /// The encoder chosen for this machine and the libx264 preset (nil until ``prepareEncoders()`` has run).
    private var encoderChoice: EncoderChooser.Choice?

    /// The libx264 preset recordings use: the configured one, or the calibrated one for `auto`.
    private var x264Preset: String {
        config.recording.videoPreset == .auto ? encoderChoice?.x264Preset ?? EncoderChooser.defaultPreset : config.recording.videoPreset.rawValue
    }

    /// Why the video encoder is the one it is, for status.
    private var encoderReason: String? {
        guard let choice = encoderChoice else { return "the encoders are still being tried; libx264 until then" }
        guard let selection = choice.selection else { return "no allowed encoder worked when tried; libx264 is used anyway" }
        return selection.reason + (selection.chosen.kind == .x264 ? "; preset \(choice.x264Preset): \(choice.presetReason)" : "")
    }

    /// Tries the machine's encoders, chooses one, and calibrates libx264 if its preset is `auto` (see
    /// ``EncoderChooser``); on threads of their own, so the socket stays responsive.
    public func prepareEncoders() async {
        let chooser = EncoderChooser(config: config.recording, stateDirectory: config.daemon.stateDirectory, logger: logger)
        let mayMeasure = active == nil
        let choice = try? await BlockingIO.run { chooser.choose(mayMeasure: mayMeasure) }
        encoderChoice = choice
        if active == nil, let chosen = choice?.selection?.chosen {
            lastEncoders = EncoderSummary(video: chosen.kind == .x264 ? "libx264 (\(x264Preset))" : chosen.description, audio: lastEncoders.audio, reason: encoderReason)
        }
    }

    /// Seconds from the last start request to its first video frame reaching the muxer.
    private var lastStartLatency: Double?
    /// Seconds from the last stop request to its file being finalized and queued.
    private var lastStopLatency: Double?
    /// What is to be recorded: the catalog's bookings, the timetable's classes and the calendar feed's events.
    private var planner = BookingPlanner(bookings: [])
    /// When the planner's bookings were last read.
    private var bookingsReadAt = MonotonicInstant.now()
    /// The last good copy of the calendar feed, if one is configured.
    private var calendar: ICalendar?
    /// The bookings of a block whose recording an operator stopped: that block is not started again.
    private var dismissedBookings: Set<String> = []
    /// When the schedule last failed to start a recording, so it retries after a pause rather than at once.
    private var lastScheduledStartFailure: Date?
    /// The attached cameras and microphones, and when they were last listed.
    private var inventory: (read: MonotonicInstant, devices: [DeviceInfo])?
    private let startedAt = MonotonicInstant.now()
    private var active: ActiveRecording?
    private var lastEncoders = EncoderSummary(video: "libx264", audio: "aac (AAC-LC)", reason: "the encoders are still being tried; libx264 until then")
    /// Set once a stop signal arrived: no new recording starts.
    private var shuttingDown = false
    /// Work that must end before the process may exit: each recording's run-and-finalize, and recovery.
    private var pendingWork: [String: Task<Void, Never>] = [:]

    /// The recording being written and the task that finishes it when its pipeline ends.
    private struct ActiveRecording {
        var recording: Recording
        let pipeline: RecordingPipeline
        /// Why it is being stopped early (nil: asked to stop by a caller, or not stopping).
        var earlyStopReason: String?
        /// The platform's limits, the host's absence and the disk reserve, decided against the clock.
        var rules: RecordingRules
        /// When it was asked to stop, to measure how long the file takes to be finalized and queued.
        var stopRequestedAt: MonotonicInstant?
        /// What the rules decided when they stopped it: a roll-over into a new part, or a stop.
        var stoppedByRules: RecordingRules.Decision?
        /// The booked block it records (started by it, or a manual recording it adopted); nil for a manual one.
        var block: BookingPlanner.Block?
    }
    /// The rules of a part that rolled over, so the next part of the same session keeps its session clock.
    private var rolledOver: RecordingRules?
    /// The online session the room takes part in (``runSession(_:)``), and who is on stage there.
    private var sessionConnector: (any SessionConnector)?
    private var session = SessionRoster()
    /// When the host left, while they are away.
    private var hostLeftAt: (date: Date, instant: MonotonicInstant)?
    /// Whether the session's start is to start a recording now (`[session] auto_record`).
    private var autoRecord = SessionAutoRecord()
    /// Whether the current outage of the session was announced (once per outage, not per attempt).
    private var sessionOutageReported = false
    /// The participants' media, decoded, on its way to the recording in progress.
    private lazy var remoteStage = RemoteStage(logger: logger)
    /// The room's camera and microphone, captured while the room records or publishes into its session.
    private lazy var roomSources = RoomSources(capture: config.capture, report: { [eventHub, logger] message, warning in
        if warning {
            eventHub.publish(.warning, message: message)
            logger.warning("capture device", metadata: ["event": "\(message)"])
        } else {
            logger.notice("capture device", metadata: ["event": "\(message)"])
        }
    })
    /// The room's camera and microphone encoded for the session, while it publishes them.
    private var roomPublisher: RoomPublisher?

    public init(config: RoomRecorderConfig, configPath: String? = nil, catalog: CatalogDatabase, uploads: UploadQueue, throttle: Throttle? = nil,
                events: EventHub = EventHub(), logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.throttle = throttle
        self.config = config
        self.configPath = configPath
        self.eventHub = events
        self.catalog = catalog
        self.uploads = uploads
        self.logger = logger
        self.notifier = notifier
    }

    /// Stores a recording's new state, logs the transition and tells event subscribers.
    private func save(_ recording: Recording) {
        let previous = (try? catalog.recording(id: recording.recordingId))?.status
        if let previous, previous != recording.status {
            if !previous.canMove(to: recording.status) {
                logger.critical("a recording moved between states that do not follow each other", metadata: [
                    "recording": "\(recording.recordingId)", "from": "\(previous.rawValue)", "to": "\(recording.status.rawValue)"])
            }
            logger.info("recording state changed", metadata: ["recording": "\(recording.recordingId)", "from": "\(previous.rawValue)",
                                                              "to": "\(recording.status.rawValue)", "reason": "\(recording.reason ?? "-")"])
        }
        do {
            try catalog.update(recording)
        } catch {
            logger.error("cannot store a recording's state", metadata: ["recording": "\(recording.recordingId)", "error": "\(error)"])
        }
        eventHub.publish(.recording, recording: recording)
    }

    // MARK: ControlService

    public func startRecording(_ request: StartRecordingRequest, caller: Caller) async throws(ControlError) -> Recording {
        try await startRecording(request, initiator: UserNames.name(ofUID: caller.uid))
    }

    private func startRecording(_ request: StartRecordingRequest, initiator: String, block: BookingPlanner.Block? = nil) async throws(ControlError) -> Recording {
        if let active {
            throw .conflict("recording \(active.recording.recordingId) is already \(active.recording.status.rawValue); stop it first")
        }
        if shuttingDown { throw .unavailable("roomrecd is shutting down") }
        let folder = config.recording.outputDirectory
        if let disk = DiskSpace.of(folder), disk.freeBytes < config.recording.minimumFreeBytes {
            throw .unavailable("only \(disk.freeBytes >> 20) MiB are free in \(folder); a recording needs at least "
                               + "\(config.recording.minimumFreeBytes >> 20) MiB to start ([recording] min_free_mb). Free some space "
                               + "(delivered recordings are removed after their retention) or lower min_free_mb")
        }
        let requestedAt = MonotonicInstant.now()
        let now = Date()
        let id = UUID().uuidString.lowercased()
        let title = request.title ?? config.room.title
        let name = RecordingName(startedAt: now, title: title, timeZone: .current)
        var recording = Recording(
            recordingId: id, roomId: config.room.id, title: title, name: name.displayName, filename: name.fileName,
            status: .starting, owner: config.room.type.recordingOwner(roomOwner: config.room.owner, initiator: initiator),
            initiator: initiator, startDate: now, path: Self.workingPath(id: id, in: config.recording.outputDirectory))
        recording.workingPath = recording.path
        do {
            try catalog.insert(recording)
        } catch {
            throw .unavailable("the catalog cannot store a new recording: \(error)")
        }
        eventHub.publish(.recording, recording: recording)
        recordingsStarted += 1
        let pipeline: RecordingPipeline
        do {
            pipeline = try RecordingPipeline(
                workingPath: recording.path,
                video: VideoEncoderSettings(preset: x264Preset, bitrateKbps: config.recording.videoBitrateKbps,
                                            encoder: encoderChoice?.selection?.chosen ?? .init(.x264)),
                audio: AudioEncoderSettings(bitrateKbps: config.recording.audioBitrateKbps),
                layout: config.recording.layout,
                sources: roomSources,
                report: { [eventHub, logger] message, warning in
                    if warning {
                        eventHub.publish(.warning, message: message)
                        logger.warning("capture device", metadata: ["recording": "\(id)", "event": "\(message)"])
                    } else {
                        logger.notice("capture device", metadata: ["recording": "\(id)", "event": "\(message)"])
                    }
                })
        } catch {
            try? FileManager.default.removeItem(atPath: recording.path)
            recording.status = .failed
            recording.reason = "could not start: \(error)"
            recording.endDate = Date()
            recording.workingPath = nil
            save(recording)
            logger.error("recording failed to start", metadata: ["recording": "\(id)", "error": "\(error)"])
            throw .unavailable("the recording could not start: \(error)")
        }
        lastEncoders = EncoderSummary(video: pipeline.encoderNames.video, audio: pipeline.encoderNames.audio, reason: encoderReason)
        recording.status = .active
        save(recording)
        let rules = rolledOver.map { $0.nextPart(startingAt: pipeline.origin) } ?? RecordingRules(limits: config.recording.rules, startingAt: pipeline.origin)
        rolledOver = nil
        active = ActiveRecording(recording: recording, pipeline: pipeline, rules: rules, block: block)
        if !config.uploads.whileRecording { await uploads.hold(Self.recordingHold) }
        pendingWork[id] = Task { [self] in
            let outcome = await pipeline.run()
            await pipelineEnded(id: id, outcome: outcome, requestedAt: requestedAt)
            workEnded(id)
        }
        logger.notice("recording started", metadata: ["recording": "\(id)", "name": "\(recording.name)", "initiator": "\(initiator)"])
        notifier.status("Recording \"\(recording.name)\"")
        announceRecording(true)
        for participant in session.participants { Self.putOnStage(participant, pipeline) }
        pipeline.setSpeaker(session.speaking?.id)
        remoteStage.attach(pipeline)
        return recording
    }

    public func stopRecording(id: String?, caller: Caller) async throws(ControlError) -> Recording {
        guard let current = active, id == nil || id == current.recording.recordingId else {
            if let id {
                _ = try await recording(id: id)  // 404 for an unknown id
                throw .conflict("recording \(id) is not in progress")
            }
            throw .conflict("no recording is active")
        }
        guard current.recording.status == .active else {
            throw .conflict("recording \(current.recording.recordingId) is already \(current.recording.status.rawValue)")
        }
        let stopping = beginStopping(current)
        // Stopped by hand during a booking: the rest of the booking is not recorded again.
        if let block = current.block { dismissedBookings.formUnion(block.bookingIds) }
        logger.notice("recording stopping", metadata: ["recording": "\(current.recording.recordingId)", "by": "\(caller)"])
        return stopping
    }

    public func recordings(_ query: RecordingQuery) async throws(ControlError) -> RecordingPage {
        var found: [Recording]
        do { found = try catalog.recordings(matching: query) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        let truncated = found.count > query.maxItems
        if truncated { found.removeLast(found.count - query.maxItems) }
        let token = truncated ? found.last.map { PageToken(startDate: $0.startDate, recordingId: $0.recordingId).encoded } : nil
        return RecordingPage(recordings: found, isTruncated: truncated, nextPageToken: token, maxItems: query.maxItems)
    }

    public func deleteRecording(id: String, caller: Caller) async throws(ControlError) {
        let recording = try await recording(id: id)
        if recording.status.isInProgress || active?.recording.recordingId == id || pendingWork[id] != nil {
            throw .conflict("recording \(id) is \(recording.status.rawValue); stop it and let it finish first")
        }
        let jobs: [UploadJob]
        do { jobs = try catalog.uploadJobs(recordingId: id) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        if jobs.contains(where: { $0.state == .uploading }) {
            throw .conflict("recording \(id) is being uploaded; pause or cancel the upload first")
        }
        for path in [recording.path, recording.workingPath].compactMap({ $0 }) {
            if unlink(path) != 0, errno != ENOENT {
                throw .unavailable("cannot delete \(path): \(String(cString: strerror(errno)))")
            }
        }
        do { try catalog.deleteRecording(id: id) } catch { throw .unavailable("the catalog cannot delete \(id): \(error)") }
        logger.notice("recording deleted", metadata: ["recording": "\(id)", "by": "\(caller)", "file": "\(recording.path)"])
    }

    public func recording(id: String) async throws(ControlError) -> Recording {
        let found: Recording?
        do { found = try catalog.recording(id: id) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        guard let found else { throw .notFound("no recording \(id)") }
        return found
    }

    public func uploads() async throws(ControlError) -> [UploadJob] {
        do { return try catalog.uploadJobs() } catch { throw .unavailable("the catalog cannot be read: \(error)") }
    }

    public func status() async -> StatusReport {
        let devices = await devices()
        return StatusReport(
            state: active == nil ? "idle" : "recording",
            version: RoomRecorderVersion.current,
            uptimeSeconds: MonotonicInstant.now().seconds(since: startedAt),
            room: RoomSummary(id: config.room.id, title: config.room.title, type: config.room.type, owner: config.room.owner),
            current: active?.recording,
            elapsedSeconds: active.map { MonotonicInstant.now().seconds(since: $0.pipeline.origin) },
            devices: devices,
            encoder: lastEncoders,
            pipeline: active.map { active in
                let stats = active.pipeline.stats.snapshot
                return PipelineStatus(layout: stats.layout, realTimeFactor: (stats.realTimeFactor * 100).rounded() / 100, framesEncoded: stats.framesEncoded,
                                      framesDropped: stats.framesDropped, avOffsetMs: (stats.audioClockError * 10_000).rounded() / 10)
            },
            disk: DiskSpace.of(config.recording.outputDirectory),
            queue: QueueSummary(counts: (try? catalog.queueCounts()) ?? [:], heldReason: await uploads.closedReason()),
            session: sessionConnector == nil ? nil : SessionStatus(
                state: session.state, connector: config.session.connector.rawValue, room: "\(config.session.room)",
                participants: session.participants, hostPresent: session.hostPresent, hostLeftAt: hostLeftAt?.date,
                reconnects: session.reconnects, lastError: session.state == .joined ? nil : session.lastError,
                receiving: received(), publishing: roomPublisher?.status))
    }

    public func applyUploadAction(_ action: UploadAction, jobId: String, caller: Caller) async throws(ControlError) -> UploadJob {
        let job = try await uploads.apply(action, toJob: jobId)
        logger.notice("upload job changed", metadata: ["job": "\(jobId)", "action": "\(action.rawValue)", "by": "\(caller)"])
        return job
    }

    public func upload(id: String) async throws(ControlError) -> UploadJobDetail {
        try await uploads.detail(of: id)
    }

    public func pauseUploads(_ paused: Bool, caller: Caller) async -> Bool {
        if paused { await uploads.pauseAll() } else { await uploads.resumeAll() }
        logger.notice(paused ? "upload queue paused" : "upload queue resumed", metadata: ["by": "\(caller)"])
        eventHub.publish(.config, message: paused ? "the upload queue is paused" : "the upload queue is running")
        return await uploads.isPaused
    }

    public func devices() async -> [DeviceInfo] {
        // Probing every /dev/video* node and sound card on each status call would cost milliseconds while the
        // encoder keeps the cores busy; the inventory is read again after a few seconds.
        if inventory == nil || MonotonicInstant.now().seconds(since: inventory!.read) > 5 {
            inventory = (MonotonicInstant.now(), DeviceInventory.cameras() + DeviceInventory.microphones())
        }
        // The room's own devices are in use while it records or publishes into its session.
        let inUse = active != nil || roomPublisher?.status != nil
        return [
            {
                switch config.capture.camera {
                case .synthetic: DeviceInfo(kind: "camera", id: "synthetic", name: "Synthetic stage (1920×1080, 30 fps)", inUse: inUse)
                case .v4l2(let path): DeviceInfo(kind: "camera", id: path, name: "V4L2 camera \(path) (configured)", inUse: inUse)
                }
            }(),
            {
                switch config.capture.microphone {
                case .synthetic: DeviceInfo(kind: "microphone", id: "synthetic", name: "Synthetic tone (48 kHz stereo)", inUse: inUse)
                case .alsa(let name): DeviceInfo(kind: "microphone", id: name, name: "ALSA capture \(name) (configured)", inUse: inUse)
                }
            }(),
        ] + inventory!.devices
    }

    public func health() async -> HealthReport {
        var checks: [String: String] = [:]
        do {
            _ = try catalog.queueCounts()
            checks["catalog"] = "ok"
        } catch {
            checks["catalog"] = "cannot read the catalog: \(error)"
        }
        checks["pipeline"] = isMakingProgress(within: 10) ? "ok" : "the recording has received no frame for 10 s"
        if let disk = DiskSpace.of(config.recording.outputDirectory) {
            checks["disk"] = disk.freeBytes > 1 << 30 ? "ok" : "less than 1 GiB free in \(disk.path)"
        } else {
            checks["disk"] = "cannot read the free space of \(config.recording.outputDirectory)"
        }
        return HealthReport(checks: checks)
    }

    public func reloadConfiguration(caller: Caller) async throws(ControlError) -> ReloadReport {
        guard let configPath else { throw .conflict("this daemon was not started from a configuration file") }
        let new: RoomRecorderConfig
        do { new = try RoomRecorderConfig.load(path: configPath) } catch { throw .badRequest("\(error)") }
        let old = config
        var applied: [String] = []
        var restartNeeded: [String] = []
        func note<T: Equatable>(_ key: String, _ path: KeyPath<RoomRecorderConfig, T>, live: Bool) {
            guard old[keyPath: path] != new[keyPath: path] else { return }
            if live { applied.append(key) } else { restartNeeded.append(key) }
        }
        note("room", \.room, live: true)
        note("capture", \.capture, live: true)
        note("recording", \.recording, live: true)
        note("library", \.library, live: true)
        note("control", \.control, live: false)
        note("daemon", \.daemon, live: false)
        note("uploads", \.uploads, live: false)
        note("schedule", \.schedule, live: true)
        // A new media library must be usable (credentials readable) before anything changes.
        // Rebuilt on every reload, so replaced credentials are read again.
        let newTargets: [any UploadTarget]
        do { newTargets = try UploadTargets.make(new.library, throttle: throttle) } catch {
            throw .badRequest("the media library cannot be used: \(error); nothing was changed")
        }
        // What needs a restart keeps its old value until then; recording settings change between recordings.
        config.room = new.room
        config.capture = new.capture
        roomSources.reconfigure(new.capture)
        config.library = new.library
        // A recording in progress keeps the encoder it started with; the next one uses the new settings.
        let encodersChanged = (old.recording.encoders, old.recording.videoPreset, old.recording.videoBitrateKbps)
            != (new.recording.encoders, new.recording.videoPreset, new.recording.videoBitrateKbps)
        config.recording = new.recording
        if encodersChanged { Task { await prepareEncoders() } }
        config.schedule = new.schedule
        reloadBookings()
        await uploads.replaceTargets(newTargets)
        logger.notice("configuration reloaded", metadata: ["applied": "\(applied)", "restartNeeded": "\(restartNeeded)", "by": "\(caller)"])
        eventHub.publish(.config, message: "configuration reloaded; applied: \(applied.joined(separator: ", ")); needs a restart: \(restartNeeded.joined(separator: ", "))")
        return ReloadReport(applied: applied, restartNeeded: restartNeeded)
    }

    public func events() async -> AsyncStream<ControlEvent> { eventHub.subscribe() }

    /// Joins the online session through `connector` and follows it until the task is cancelled: who comes on
    /// stage and leaves is published as `session` events, and the host's presence drives the recording's rules
    /// (``RecordingRules/hostLeft(at:)``).
    public func runSession(_ connector: any SessionConnector) async {
        sessionConnector = connector
        let publisher = config.session.publish ? RoomPublisher(sources: roomSources, settings: config.session, logger: logger) : nil
        roomPublisher = publisher
        let (events, continuation) = AsyncStream.makeStream(of: SessionEvent.self)
        let remote = remoteStage
        let follower = Task {
            await connector.run(publishing: publisher, report: { continuation.yield($0) }, media: { remote.deliver($0) })
            continuation.finish()
        }
        await withTaskCancellationHandler {
            for await event in events { sessionChanged(event) }
        } onCancel: {
            follower.cancel()
        }
    }

    /// Applies one event from the session connector.
    func sessionChanged(_ event: SessionEvent, now: MonotonicInstant = .now()) {
        let changes = session.apply(event)
        switch event {
        case .joined(let others):
            sessionOutageReported = false
            logger.notice("joined the session", metadata: ["room": "\(config.session.room)", "onStage": "\(others.count)"])
            eventHub.publish(.session, message: "joined the session (room \(config.session.room)); \(others.count) others on stage")
        case .disconnected(let reason, let retryIn):
            logger.warning("the session is unreachable", metadata: ["reason": "\(reason)", "retryIn": "\(retryIn)"])
            if !sessionOutageReported {
                sessionOutageReported = true
                eventHub.publish(.warning, message: "the session is unreachable (\(reason)); trying again in \(Int(retryIn.rounded(.up))) s. "
                                 + "A recording goes on with the room's own camera and microphone")
            }
        case .connecting, .participantUpdated, .participantLeft, .talking: break
        }
        for change in changes {
            switch change {
            case .joined(let participant):
                remoteStage.admit(participant)
                if let pipeline = active?.pipeline { Self.putOnStage(participant, pipeline) }
                logger.info("on stage", metadata: ["participant": "\(participant.id)", "role": "\(participant.role.rawValue)"])
                eventHub.publish(.session, message: "\(participant.display) came on stage" + (participant.role == .host ? " (the host)" : ""))
            case .left(let participant):
                active?.pipeline.removeParticipant(participant.id)
                active?.pipeline.removeParticipant(participant.screenSourceID)
                remoteStage.forget(participant.id)
                logger.info("left the stage", metadata: ["participant": "\(participant.id)"])
                if session.state == .joined { eventHub.publish(.session, message: "\(participant.display) left the stage") }
            case .updated(let participant):
                // A screen shared (or no longer) beside the camera comes on (or off) the stage.
                remoteStage.admit(participant)
                if let pipeline = active?.pipeline { Self.putOnStage(participant, pipeline) }
                active?.pipeline.setSpeaker(session.speaking?.id)
            case .hostLeft:
                hostLeftAt = (Date(), now)
                active?.rules.hostLeft(at: now)
                let grace = DurationText.words(config.recording.hostLeaveGrace)
                logger.notice("the host left the session", metadata: ["grace": "\(grace)"])
                eventHub.publish(.warning, recording: active?.recording,
                                 message: "the host left the session" + (active == nil ? "" : "; the recording goes on for \(grace) unless they return"))
            case .hostReturned:
                if hostLeftAt != nil {
                    logger.notice("the host is back in the session")
                    eventHub.publish(.session, message: "the host is back in the session")
                }
                hostLeftAt = nil
                active?.rules.hostReturned()
            }
        }
        if config.session.autoRecord, autoRecord.shouldStart(hostPresent: session.hostPresent, recording: active != nil), !shuttingDown {
            logger.notice("the session started: recording it", metadata: ["room": "\(config.session.room)"])
            eventHub.publish(.session, message: "the session started (its host is on stage); recording it")
            Task {
                do {
                    _ = try await startRecording(StartRecordingRequest(), initiator: "session")
                } catch {
                    logger.error("the session started but the recording could not", metadata: ["error": "\(error)"])
                    eventHub.publish(.warning, message: "the session started but the recording could not: \(error)")
                }
            }
        }
    }

    /// A participant's place on the recording's stage: its tile (content when a screen is all it sends) and its
    /// voice; a screen shared beside its camera as a content tile of its own, while it shares.
    private static func putOnStage(_ participant: SessionParticipant, _ pipeline: RecordingPipeline) {
        pipeline.addParticipant(participant.id, screen: participant.isScreenOnly)
        if participant.sharedScreen != nil {
            pipeline.addParticipant(participant.screenSourceID, screen: true, voice: false)
        } else {
            pipeline.removeParticipant(participant.screenSourceID)
        }
    }

    /// What arrives from each participant's tracks, with the transport's loss figures.
    private func received() -> [ReceivedTrack] {
        let reception = sessionConnector?.reception() ?? []
        return remoteStage.received().map { track in
            var track = track
            if let numbers = reception.first(where: { $0.participantID == track.participantId && $0.kind == track.kind }) {
                track.packetsLost = numbers.packetsLost
                track.lossPercent = (numbers.lossPercent * 100).rounded() / 100
            }
            return track
        }
    }

    /// Tells the session whether the room records (participants show the recording indicator).
    private func announceRecording(_ recording: Bool) {
        guard let connector = sessionConnector else { return }
        Task { await connector.announceRecording(recording) }
    }

    /// A camera or microphone appeared or went away: the device list is read again, and subscribers are told
    /// (a warning if it is the configured one and it went away).
    public func deviceChanged(_ event: DeviceEvent) {
        inventory = nil
        // The configured camera is named by a stable link (/dev/v4l/by-id/…) to the node the event names.
        var configured = false
        if event.kind == .camera, case .v4l2(let path) = config.capture.camera {
            configured = path == event.device || URL(fileURLWithPath: path).resolvingSymlinksInPath().path == event.device
        }
        eventHub.publish(.device, message: "\(event)" + (configured ? " (the configured \(event.kind.rawValue))" : ""))
        if configured, event.action == .removed { eventHub.publish(.warning, message: "the configured \(event.kind.rawValue) \(event.device) went away") }
        logger.notice("device event", metadata: ["device": "\(event.device)", "kind": "\(event.kind.rawValue)", "action": "\(event.action.rawValue)"])
    }

    public func metrics() async -> [Metric] {
        let failures = await uploads.failures
        let counts = (try? catalog.queueCounts()) ?? [:]
        let statuses = (try? catalog.recordingCounts()) ?? [:]
        var metrics = [
            Metric("roomrec_build_info", .gauge, "Version of roomrecd.", samples: [(["version": RoomRecorderVersion.current], 1)]),
            Metric("roomrec_uptime_seconds", .gauge, "Seconds since roomrecd started.", value: MonotonicInstant.now().seconds(since: startedAt)),
            Metric("roomrec_recording_active", .gauge, "1 while a recording is in progress.", value: active == nil ? 0 : 1),
            Metric("roomrec_recording_elapsed_seconds", .gauge, "Seconds since the recording in progress started.",
                   value: active.map { MonotonicInstant.now().seconds(since: $0.pipeline.origin) } ?? 0),
            Metric("roomrec_recording_start_latency_seconds", .gauge, "From the last start request to its first frame in the file.",
                   value: lastStartLatency ?? 0),
            Metric("roomrec_recording_stop_latency_seconds", .gauge, "From the last stop request to its finalized file in the upload queue.",
                   value: lastStopLatency ?? 0),
            Metric("roomrec_recordings_started_total", .counter, "Recordings started since roomrecd started.", value: Double(recordingsStarted)),
            Metric("roomrec_video_frames_dropped_total", .counter, "Video frames dropped since roomrecd started.", value: Double(droppedVideoFrames)),
            Metric("roomrec_recordings", .gauge, "Recordings in the catalog by status.",
                   samples: RecordingState.allCases.map { (["status": $0.rawValue], Double(statuses[$0.rawValue] ?? 0)) }),
            Metric("roomrec_upload_jobs", .gauge, "Upload jobs by state.",
                   samples: UploadState.allCases.map { (["state": $0.rawValue], Double(counts[$0.rawValue] ?? 0)) }),
            Metric("roomrec_event_subscribers", .gauge, "Clients following GET /v1/events.", value: Double(eventHub.subscriberCount)),
            Metric("roomrec_upload_bytes_total", .counter, "Bytes the media library confirmed since roomrecd started.",
                   value: Double(await uploads.bytesUploaded)),
            Metric("roomrec_upload_failures_total", .counter, "Failed upload attempts since roomrecd started, by kind.",
                   samples: ["transient", "permanent"].map { (["kind": $0], Double(failures[$0] ?? 0)) }),
            Metric("roomrec_upload_oldest_queued_seconds", .gauge, "Age of the oldest job waiting to upload.", value: await uploads.oldestQueuedAge()),
            Metric("roomrec_upload_queue_paused", .gauge, "1 while the whole upload queue is paused.", value: await uploads.isPaused ? 1 : 0),
        ]
        if sessionConnector != nil {
            metrics += [
                Metric("roomrec_session_joined", .gauge, "1 while the room is in its online session.", value: session.state == .joined ? 1 : 0),
                Metric("roomrec_session_participants", .gauge, "Others on stage in the online session.", value: Double(session.participants.count)),
                Metric("roomrec_session_host_present", .gauge, "1 while the session's host is on stage.", value: session.hostPresent ? 1 : 0),
                Metric("roomrec_session_reconnects_total", .counter, "Times the room joined its session again after a drop.", value: Double(session.reconnects)),
                Metric("roomrec_session_publish_video_kbps", .gauge, "Bitrate of the room's picture sent into the session.",
                       value: roomPublisher?.status?.videoKbps ?? 0),
                Metric("roomrec_session_publish_target_kbps", .gauge, "Video bitrate the publication aims at (the configured one, or the session's estimate).",
                       value: Double(roomPublisher?.status?.videoTargetKbps ?? 0)),
                Metric("roomrec_session_keyframe_requests_total", .counter, "Keyframes the session's receivers asked of the room's publication.",
                       value: Double(roomPublisher?.status?.keyframeRequests ?? 0)),
            ]
        }
        if let disk = DiskSpace.of(config.recording.outputDirectory) {
            metrics.append(Metric("roomrec_disk_free_bytes", .gauge, "Free bytes where recordings are written.",
                                  samples: [(["path": disk.path], Double(disk.freeBytes))]))
        }
        return metrics
    }

    /// Bookings that have not ended, and the timetable's classes and the calendar's events of the next seven
    /// days, earliest first.
    public func schedule() async throws(ControlError) -> [Booking] {
        let now = Date()
        let booked: [Booking]
        do { booked = try catalog.bookings(endingAfter: now) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        return (booked + plannedBookings(from: now, to: now.addingTimeInterval(7 * 86400))).sorted { $0.start < $1.start }
    }

    /// The timetable's classes and the calendar feed's events that overlap `from ..< to`.
    private func plannedBookings(from: Date, to: Date) -> [Booking] {
        config.schedule.timetable.bookings(from: from, to: to) + (calendar?.bookings(from: from, to: to) ?? [])
    }

    public func addBooking(_ request: BookingRequest, caller: Caller) async throws(ControlError) -> Booking {
        let now = Date()
        let frame = Booking.defaultFrame(after: now)
        let start = request.start ?? frame.start
        let end: Date
        switch (request.end, request.durationMinutes) {
        case (_?, _?): throw .badRequest("give \"end\" or \"durationMinutes\", not both")
        case (let given?, nil): end = given
        case (nil, let minutes?):
            guard (1...24 * 60).contains(minutes) else { throw .badRequest("\"durationMinutes\" must be from 1 to 1440 (a recording lasts at most 24 hours)") }
            end = start.addingTimeInterval(TimeInterval(minutes * 60))
        case (nil, nil): end = request.start == nil ? frame.end : start.addingTimeInterval(3600)
        }
        guard end > start else { throw .badRequest("\"end\" must be after \"start\"") }
        guard end > now else { throw .badRequest("the booking is over already (it ends \(ISO8601DateFormatter().string(from: end)))") }
        guard end.timeIntervalSince(start) <= 24 * 3600 else { throw .badRequest("a booking lasts at most 24 hours") }
        let title = request.title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? config.room.title
        guard !title.isEmpty, title.count <= 200 else { throw .badRequest("\"title\" must be 1 to 200 characters") }
        let booking = Booking(bookingId: UUID().uuidString.lowercased(), title: title, start: start, end: end,
                              createdBy: UserNames.name(ofUID: caller.uid), createdAt: now)
        do { try catalog.insert(booking) } catch { throw .unavailable("the catalog cannot store the booking: \(error)") }
        reloadBookings()
        logger.notice("booking added", metadata: ["booking": "\(booking.bookingId)", "title": "\(title)", "start": "\(start)", "end": "\(end)", "by": "\(caller)"])
        await runSchedule(now: Date())
        return booking
    }

    public func removeBooking(id: String, caller: Caller) async throws(ControlError) {
        if id.hasPrefix(Timetable.bookingPrefix) {
            throw .conflict("\(id) is a class of the timetable in the configuration; add its date to [schedule] exceptions, or stop its recording")
        }
        if id.hasPrefix("ical-") {
            throw .conflict("\(id) comes from the calendar feed; cancel it there, or stop its recording")
        }
        let removed: Bool
        do { removed = try catalog.deleteBooking(id: id) } catch { throw .unavailable("the catalog cannot delete the booking: \(error)") }
        guard removed else { throw .notFound("no booking \(id)") }
        reloadBookings()
        logger.notice("booking removed", metadata: ["booking": "\(id)", "by": "\(caller)"])
        await runSchedule(now: Date())
    }

    /// Reads the bookings again, with the timetable's classes and the calendar's events from a day ago to eight
    /// days ahead.
    private func reloadBookings() {
        let now = Date()
        do {
            let planned = plannedBookings(from: now.addingTimeInterval(-86400), to: now.addingTimeInterval(8 * 86400))
            planner = BookingPlanner(bookings: try catalog.bookings(endingAfter: now) + planned)
            bookingsReadAt = MonotonicInstant.now()
        } catch {
            logger.error("cannot read the bookings", metadata: ["error": "\(error)"])
        }
    }

    /// Runs the schedule until the task is cancelled, looking at it four times a second (and at once after a
    /// booking is added or removed), so a booked recording starts and stops within a second of its times. The
    /// timetable's classes are read again every hour, so the eight days ahead keep moving.
    public func runScheduler() async {
        reloadBookings()
        while !Task.isCancelled {
            if MonotonicInstant.now().seconds(since: bookingsReadAt) > 3600 { reloadBookings() }
            enforceRules()
            await runSchedule(now: Date())
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Polls the calendar feed of `[schedule] calendar_url` until the task is cancelled, starting from the copy on
    /// disk, so a restart without network keeps the last known schedule. A failure is logged and announced once
    /// per outage; the last good feed stays in force.
    public func runCalendarFeed() async {
        var feed: CalendarFeed?
        var failing = false
        while !Task.isCancelled {
            guard let text = config.schedule.calendarURL, let url = URL(string: text) else {
                if calendar != nil { calendar = nil; reloadBookings() }
                feed = nil
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            if feed?.url != url {
                feed = CalendarFeed(url: url, stateDirectory: config.daemon.stateDirectory, timeZone: config.schedule.timetable.timeZone)
                calendar = feed!.cached()
                if calendar != nil { logger.info("calendar feed: using the copy on disk until the server answers", metadata: ["url": "\(text)"]) }
                reloadBookings()
            }
            let (fetched, outcome) = await feed!.fetch()
            switch outcome {
            case .updated(let events):
                if failing { logger.notice("calendar feed reachable again", metadata: ["url": "\(text)"]) }
                failing = false
                if let fetched, fetched != calendar {
                    calendar = fetched
                    reloadBookings()
                    logger.notice("calendar feed updated", metadata: ["url": "\(text)", "events": "\(events)"])
                    eventHub.publish(.config, message: "the calendar feed was updated (\(events) events)")
                }
            case .unchanged:
                failing = false
            case .failed(let reason):
                if !failing {
                    logger.warning("calendar feed could not be read; the last known schedule stays", metadata: ["url": "\(text)", "error": "\(reason)"])
                    eventHub.publish(.warning, message: "the calendar feed could not be read (\(reason)); the last known schedule stays in force")
                }
                failing = true
            }
            await runSchedule(now: Date())
            try? await Task.sleep(for: .seconds(config.schedule.calendarPoll))
        }
    }

    /// Starts the next part of what `previous` recorded, at once: its booked block through the schedule, or a
    /// manual recording again with its title. The session clock of the rules carries over.
    private func startNextPart(after previous: ActiveRecording) async {
        rolledOver = previous.rules
        defer { rolledOver = nil }
        if previous.block != nil {
            await runSchedule(now: Date())
        } else {
            do {
                _ = try await startRecording(StartRecordingRequest(title: previous.recording.title), initiator: previous.recording.initiator ?? "roomrecd")
            } catch {
                logger.error("the next part could not start", metadata: ["after": "\(previous.recording.recordingId)", "error": "\(error.problem.detail)"])
            }
        }
    }

    /// Moves the recording in progress to `ending` and asks its pipeline to stop after the frame in hand.
    @discardableResult
    private func beginStopping(_ stopping: ActiveRecording) -> Recording {
        var current = stopping
        current.recording.status = .ending
        current.stopRequestedAt = .now()
        save(current.recording)
        active = current
        current.pipeline.stop()
        remoteStage.attach(nil)
        announceRecording(false)
        return current.recording
    }

    /// Applies the ``RecordingRules`` to the recording in progress: at `[recording] max_duration` it ends
    /// `limit_reached` and its booking goes on in a new part; at the session limit, after the host's grace, or
    /// under the free-space reserve it stops, and its booking is not started again (except after low disk, when
    /// the start checks the space again).
    func enforceRules(now: MonotonicInstant = .now()) {
        guard var current = active, current.recording.status == .active else { return }
        let decision = current.rules.decide(at: now, freeBytes: DiskSpace.of(config.recording.outputDirectory)?.freeBytes)
        guard decision != .keepRecording else { return }
        current.stoppedByRules = decision
        beginStopping(current)
        let id = current.recording.recordingId
        switch decision {
        case .keepRecording: break
        case .rollOver:
            logger.notice("recording reached its duration limit", metadata: ["recording": "\(id)", "limit": "\(DurationText.words(current.rules.limits.maxDuration))"])
        case .stop(let reason):
            if case .lowDisk = reason {
                eventHub.publish(.warning, recording: current.recording, message: "stopping the recording: \(reason.description)")
                logger.warning("recording stopping: low disk space", metadata: ["recording": "\(id)", "reason": "\(reason.description)"])
            } else {
                if let block = current.block { dismissedBookings.formUnion(block.bookingIds) }
                logger.notice("recording stopping by the platform's rules", metadata: ["recording": "\(id)", "reason": "\(reason.description)"])
            }
        }
    }

    /// Brings the recording in line with the bookings at `now`: starts the block that should be recording,
    /// adopts a manual recording that a block starts during, and stops a block's recording when it ends. A
    /// manual recording outside any block is left alone.
    func runSchedule(now: Date) async {
        guard !shuttingDown else { return }
        let block = planner.block(at: now)
        // A block is the same while it shares a booking with the one the recording follows, even if a booking
        // added or removed since has moved its start or end.
        func same(_ a: BookingPlanner.Block, _ b: BookingPlanner.Block) -> Bool { !Set(a.bookingIds).isDisjoint(with: b.bookingIds) }
        if var current = active {
            guard current.recording.status == .active else { return }
            if let block, current.block.map({ same($0, block) }) ?? true {
                if current.block == nil {
                    logger.notice("a booking adopts the recording in progress", metadata: ["recording": "\(current.recording.recordingId)", "block": "\(block.title)"])
                }
                current.block = block
                active = current
            } else if let owned = current.block {
                logger.notice("the booked time is over; stopping", metadata: ["recording": "\(current.recording.recordingId)"])
                _ = try? await stopRecording(id: current.recording.recordingId, caller: Caller(uid: 0, gid: 0, pid: 0, role: .admin))
                dismissedBookings.subtract(owned.bookingIds)
            }
            return
        }
        guard let block, dismissedBookings.isDisjoint(with: block.bookingIds) else { return }
        if let failed = lastScheduledStartFailure, now.timeIntervalSince(failed) < 10 { return }
        do {
            let recording = try await startRecording(StartRecordingRequest(title: block.title), initiator: "schedule", block: block)
            logger.notice("booked recording started", metadata: ["recording": "\(recording.recordingId)", "bookings": "\(block.bookingIds)"])
            lastScheduledStartFailure = nil
        } catch {
            lastScheduledStartFailure = now
            eventHub.publish(.warning, message: "the booked recording \"\(block.title)\" could not start: \(error.problem.detail)")
            logger.error("a booked recording could not start", metadata: ["title": "\(block.title)", "error": "\(error.problem.detail)"])
        }
    }

    /// Removes local files of delivered recordings whose retention has passed, or earlier, oldest first, while
    /// free space is under the configured minimum. Undelivered files are never touched.
    func enforceRetention(now: Date = Date()) {
        let policy = RetentionPolicy(retentionDays: config.uploads.retentionDays, minimumFreeBytes: config.uploads.minimumFreeBytes)
        let files: [(recording: Recording, confirmedAt: Date?)]
        do { files = try catalog.localFiles() } catch {
            logger.error("cannot read the local files", metadata: ["error": "\(error)"])
            return
        }
        let free = DiskSpace.of(config.recording.outputDirectory)?.freeBytes ?? .max
        let removable = policy.filesToRemove(files.map { .init(recordingId: $0.recording.recordingId, size: $0.recording.size ?? 0, confirmedAt: $0.confirmedAt) },
                                             now: now, freeBytes: free)
        for id in removable {
            guard var recording = files.first(where: { $0.recording.recordingId == id })?.recording else { continue }
            guard unlink(recording.path) == 0 || errno == ENOENT else {
                logger.error("cannot remove a delivered recording's local file", metadata: ["recording": "\(id)", "error": "\(String(cString: strerror(errno)))"])
                continue
            }
            recording.localRemovedAt = now
            save(recording)
            logger.notice("removed the local copy of a delivered recording", metadata: [
                "recording": "\(id)", "file": "\(recording.path)", "reason": "\(free < config.uploads.minimumFreeBytes ? "low disk" : "retention")",
            ])
        }
    }

    /// Runs ``enforceRetention(now:)`` now and every ten minutes until the task is cancelled.
    public func runRetention() async {
        while !Task.isCancelled {
            enforceRetention()
            try? await Task.sleep(for: .seconds(600))
        }
    }

    // MARK: Lifecycle

    /// Whether the recording pipeline (if any) delivered a frame in the last `seconds`.
    func isMakingProgress(within seconds: Double) -> Bool {
        active.map { $0.recording.status != .active || $0.pipeline.secondsSinceProgress < seconds } ?? true
    }

    /// Refuses new recordings, stops the one in progress (marking it `aborted` with `reason`), and waits until
    /// every recording is finalized and queued and recovery has ended.
    public func shutdown(reason: String) async {
        shuttingDown = true
        if var current = active, current.recording.status == .active {
            current.earlyStopReason = reason
            beginStopping(current)
        }
        while let (_, work) = pendingWork.first {
            await work.value
        }
    }

    /// Starts finalizing, in the background, what a crash left behind (see ``recoverUnfinished()``).
    public func startRecovery() {
        pendingWork["recovery"] = Task { [self] in
            await recoverUnfinished()
            workEnded("recovery")
        }
    }

    private func workEnded(_ key: String) { pendingWork[key] = nil }

    /// Finalizes recordings a crash left unfinished: the fragmented file is playable up to its last fragment,
    /// so it is turned into a standard MP4, marked `recovered` and queued like any other. Then removes working
    /// files whose recordings were finished and stored before the crash.
    func recoverUnfinished() async {
        let unfinished: [Recording]
        do { unfinished = try catalog.unfinishedRecordings() } catch {
            logger.error("cannot read unfinished recordings", metadata: ["error": "\(error)"])
            return
        }
        for var recording in unfinished where recording.recordingId != active?.recording.recordingId {
            logger.warning("finalizing a recording left unfinished", metadata: ["recording": "\(recording.recordingId)", "status": "\(recording.status.rawValue)"])
            if recording.endDate == nil { recording.endDate = Self.modificationDate(of: recording.workingPath ?? recording.path) ?? Date() }
            let status: RecordingState = recording.status == .failed ? .aborted : .recovered
            let reason = recording.status == .failed ? recording.reason
                : "roomrecd stopped while recording; the file was recovered up to its last fragment"
            await finalizeAndQueue(&recording, status: status, reason: reason)
        }
        sweepWorkingFiles()
    }

    /// Deletes hidden working files of recordings that are already finalized and stored.
    private func sweepWorkingFiles() {
        let folder = config.recording.outputDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".recording.mp4") {
            let id = String(name.dropFirst().dropLast(".recording.mp4".count))
            guard id != active?.recording.recordingId, let recording = try? catalog.recording(id: id),
                  recording.workingPath == nil, !recording.status.isInProgress else { continue }
            try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
            logger.info("removed a working file whose recording was already finalized", metadata: ["recording": "\(id)"])
        }
    }

    private func pipelineEnded(id: String, outcome: RecordingPipeline.Outcome, requestedAt: MonotonicInstant) async {
        guard let current = active, current.recording.recordingId == id else { return }
        active = nil
        remoteStage.attach(nil)
        if let first = outcome.firstFrameAt { lastStartLatency = first.seconds(since: requestedAt) }
        // A failed video encoder (a GPU gone): the recording goes on at once with the next encoder, in a new part.
        var failedOver: String?
        if let failure = outcome.encoderFailure, let next = encoderChoice?.selection?.failingOver(because: failure) {
            encoderChoice?.selection = next
            failedOver = "the recording goes on with \(next.chosen) in a new part"
            logger.error("the video encoder failed; going on with the next", metadata: ["recording": "\(id)", "error": "\(failure)", "next": "\(next.chosen)"])
        } else if let faster = outcome.fasterPreset {
            // libx264 fell behind: this and later recordings use the faster preset.
            let slower = x264Preset
            encoderChoice?.x264Preset = faster
            encoderChoice?.presetReason = "stepped from \(slower) to \(faster) because \(slower) fell behind while recording"
            if config.recording.videoPreset != .auto { config.recording.videoPreset = X264Preset(rawValue: faster) ?? config.recording.videoPreset }
            failedOver = "libx264 fell behind with the preset \(slower); the recording goes on with \(faster) in a new part"
            logger.warning("the encoder fell behind; stepping to a faster preset", metadata: ["recording": "\(id)", "from": "\(slower)", "to": "\(faster)"])
        }
        if let failedOver { eventHub.publish(.warning, recording: current.recording, message: failedOver) }
        // A booking that outlasts the duration cap goes on in a new part at once, before this one is finalized;
        // so does any recording whose encoder had to change.
        // (Not after a stop someone asked for, which may have raced the encoder's trouble.)
        let stopWasAsked = current.stopRequestedAt != nil && current.stoppedByRules == nil
        if (failedOver != nil && !stopWasAsked) || (current.stoppedByRules == .rollOver && current.block != nil) {
            await startNextPart(after: current)
        }
        if active == nil { await uploads.release(Self.recordingHold) }
        var recording = current.recording
        recording.endDate = Date()
        let status: RecordingState
        let reason: String?
        if outcome.failure != nil || failedOver != nil {
            (status, reason) = (.aborted, [outcome.failure, failedOver].compactMap { $0 }.joined(separator: "; "))
        } else if current.stoppedByRules == .rollOver {
            (status, reason) = (.limitReached, "reached the limit of one recording (\(DurationText.words(current.rules.limits.maxDuration)))"
                                + (current.block == nil ? "" : "; the booking goes on in a new recording"))
        } else if case .stop(let rule) = current.stoppedByRules {
            (status, reason) = (rule.finalState, rule.description)
        } else if let early = current.earlyStopReason {
            (status, reason) = (.aborted, early)
        } else {
            (status, reason) = (.complete, nil)
        }
        droppedVideoFrames += outcome.droppedVideoFrames
        if let failure = outcome.failure {
            eventHub.publish(.warning, recording: recording, message: "the recording stopped early: \(failure)")
            logger.error("the recording stopped early", metadata: ["recording": "\(id)", "reason": "\(failure)"])
        }
        // A booked recording that failed at once must not be restarted four times a second.
        if current.block != nil, outcome.failure != nil { lastScheduledStartFailure = Date() }
        if outcome.droppedVideoFrames > 0 {
            eventHub.publish(.warning, recording: recording, message: "\(outcome.droppedVideoFrames) video frames were dropped")
            logger.warning("video frames dropped", metadata: ["recording": "\(id)", "dropped": "\(outcome.droppedVideoFrames)", "written": "\(outcome.videoFrames)"])
        }
        await finalizeAndQueue(&recording, status: status, reason: reason, file: outcome.file)
        if let stopAt = current.stopRequestedAt { lastStopLatency = MonotonicInstant.now().seconds(since: stopAt) }
        logger.info("recording timings", metadata: [
            "recording": "\(id)", "startToFirstFrameSeconds": "\(lastStartLatency.map { String(format: "%.3f", $0) } ?? "-")",
            "stopToQueuedSeconds": "\(current.stopRequestedAt == nil ? "-" : String(format: "%.3f", lastStopLatency ?? 0))",
        ])
        notifier.status("Idle")
        // A libx264 measurement put off while this recording ran is taken now, if nothing else records.
        if active == nil, encoderChoice?.measured == false { Task { await prepareEncoders() } }
    }

    /// Finalizes a recording's file and queues its upload, in an order that a crash at any instant can resume:
    /// (1) the final path is chosen and stored; (2) the working file is renamed to it (a file a crash cut off is
    /// first truncated after its last whole fragment); (3) the result and the upload job are stored in one
    /// transaction. A file finished whole (`file`) takes no pass over its bytes: its hash was computed while it
    /// was written. A recording whose file cannot be finalized is `failed`, keeps its working file, and is tried
    /// again at the next start.
    private func finalizeAndQueue(_ recording: inout Recording, status: RecordingState, reason: String?, file: RecordingWriter.Summary? = nil) async {
        let outputDirectory = config.recording.outputDirectory
        if recording.path == recording.workingPath {
            recording.path = Self.freePath(for: recording.filename, in: outputDirectory)
            recording.filename = (recording.path as NSString).lastPathComponent
            // Not a change of state: stored for recovery, not announced.
            do { try catalog.update(recording) } catch {
                logger.error("cannot store the recording's final path", metadata: ["recording": "\(recording.recordingId)", "error": "\(error)"])
            }
        }
        let working = recording.workingPath
        let destination = recording.path
        let heartbeat = Task { [notifier] in
            // Salvaging and hashing a long recording after a crash takes a while; keep systemd's start and stop
            // timeouts from cutting it.
            while !Task.isCancelled {
                notifier.extendTimeout(seconds: 30)
                try? await Task.sleep(for: .seconds(10))
            }
        }
        defer { heartbeat.cancel() }
        let result: Result<(finalized: MP4Finalizer.Result, sha256: String), Error>
        do {
            result = .success(try await BlockingIO.run {
                if let working, FileManager.default.fileExists(atPath: working) {
                    if let file {
                        try MP4Finalizer.finalize(finished: working, to: destination)
                        return (MP4Finalizer.Result(duration: file.duration, size: file.size), try file.sha256 ?? FileDigest.sha256(path: destination))
                    }
                    let salvaged = try MP4Finalizer.finalize(salvaging: working, to: destination)
                    return (salvaged, try FileDigest.sha256(path: destination))
                }
                // Finalized before a crash, but not yet stored.
                guard FileManager.default.fileExists(atPath: destination) else {
                    throw FinalizeError("no file was written (\(working ?? destination))")
                }
                let duration = try MP4Finalizer.duration(of: destination)
                return (MP4Finalizer.Result(duration: duration, size: try FileSync.size(of: destination)), try FileDigest.sha256(path: destination))
            })
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let done):
            recording.status = status
            recording.reason = reason
            recording.duration = done.finalized.duration
            recording.size = done.finalized.size
            recording.sha256 = done.sha256
            recording.workingPath = nil
            let now = Date()
            let job = UploadJob(jobId: UUID().uuidString.lowercased(), recordingId: recording.recordingId, target: config.library.target.rawValue,
                                nextAttemptAt: now, totalBytes: done.finalized.size, createdAt: now, updatedAt: now)
            do {
                try catalog.finish(recording, queueing: job)
                eventHub.publish(.recording, recording: recording)
                eventHub.publish(.upload, upload: job)
            } catch {
                logger.critical("cannot store a finished recording; it is finalized again at the next start",
                                metadata: ["recording": "\(recording.recordingId)", "error": "\(error)"])
                return
            }
            if let working { try? FileManager.default.removeItem(atPath: working) }
            logger.notice("recording finished and queued for upload", metadata: [
                "recording": "\(recording.recordingId)", "status": "\(status.rawValue)", "file": "\(destination)",
                "duration": "\(String(format: "%.2f", done.finalized.duration))", "bytes": "\(done.finalized.size)",
            ])
            await uploads.wake()
        case .failure(let error):
            recording.status = .failed
            // Nothing left to retry from: stop looking for it at every start.
            if let working, !FileManager.default.fileExists(atPath: working) { recording.workingPath = nil }
            recording.reason = [reason, "the file could not be finalized: \(error)"].compactMap { $0 }.joined(separator: "; ")
            save(recording)
            eventHub.publish(.warning, recording: recording, message: "the recording could not be finalized: \(error)")
            logger.error("recording could not be finalized; its working file is kept and tried again at the next start",
                         metadata: ["recording": "\(recording.recordingId)", "error": "\(error)"])
        }
    }

    /// The hidden fragmented MP4 a recording is written to.
    /// The hold on uploads while a recording runs, when `[uploads] while_recording = false`.
    static let recordingHold = "a recording is running (while_recording = false)"

    static func workingPath(id: String, in folder: String) -> String { "\(folder)/.\(id).recording.mp4" }

    /// `<folder>/<fileName>`, numbered when that name is taken.
    private static func freePath(for fileName: String, in folder: String) -> String {
        var n = 1
        while FileManager.default.fileExists(atPath: "\(folder)/\(RecordingName.numbered(fileName, n))") { n += 1 }
        return "\(folder)/\(RecordingName.numbered(fileName, n))"
    }

    private static func modificationDate(of path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

/// Why a recording's file could not be finalized.
struct FinalizeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
