import Catalog
import ControlContract
import Foundation
import Logging
import Networking
import RecorderCore
import SystemIntegration
import Uploads

/// The daemon as the control socket sees it: a thin facade that serves ``ControlService`` from the collaborators
/// that own the state (the recording controller, the schedule, the online room, status, retention), and the
/// parent that the recording controller reports to.
public final class RecorderDaemon: ControlService, RecordingControllerParent {
    let config: LiveConfiguration
    let store: RecordingStore
    let controller: RecordingController
    let schedule: ScheduleService
    let session: SessionCoordinator?
    let reporter: StatusReporter
    let retention: RetentionService
    /// Levels, previews and alarms.
    let monitor: RoomMonitor
    /// The room as an Opencast capture agent; idle without `[opencast]`.
    let opencast: OpencastAgent
    let opencastStore: OpencastIngestRecords
    /// A restart asked for (by the package's upgrade) that waits for the recording in progress.
    let restart: DaemonRestart
    private let uploadQueue: UploadQueue
    private let reload: ConfigurationReload
    private let events: EventHub
    private let logger: Logger

    public init(config initial: RoomRecorderConfig, configPath: String? = nil, catalog: CatalogDatabase, uploads: UploadQueue, throttle: Throttle? = nil,
                events: EventHub = EventHub(), logger: Logger, notifier: SystemdNotifier = SystemdNotifier(), connector: (any SessionConnector)? = nil,
                opencastStore: OpencastIngestRecords? = nil) async {
        let config = LiveConfiguration(initial)
        let store = RecordingStore(catalog: catalog, events: events, logger: logger)
        let finalizer = RecordingFinalizer(store: store, config: config, uploads: uploads, notifier: notifier, logger: logger)
        let board = StatusBoard { config.current.recording.outputDirectory }
        let encoders = EncoderPlan(config: config, board: board, logger: logger)
        let sources = RoomSources(capture: initial.capture, report: RoomSources.reporter(events: events, logger: logger))
        let stage = RemoteStage(logger: logger)
        let monitor = RoomMonitor(sources: sources, config: config, events: events, logger: logger)
        let controller = RecordingController(finalizer: finalizer, encoders: encoders, sources: sources, stage: stage, board: board, monitor: monitor)
        self.monitor = monitor
        let session = connector.map {
            SessionCoordinator(connector: $0, recorder: controller, stage: stage, sources: sources, board: board, config: initial, events: events,
                               logger: logger)
        }
        self.config = config
        self.store = store
        self.controller = controller
        self.session = session
        schedule = ScheduleService(catalog: catalog, recorder: controller, config: config, board: board, events: events, logger: logger)
        reporter = StatusReporter(controller: controller, session: session, board: board, devices: DeviceList(config: config, events: events, logger: logger),
                                  monitor: monitor)
        retention = RetentionService(store: store, config: config)
        let opencastStore = opencastStore ?? OpencastIngestRecords(catalog: catalog)
        opencast = OpencastAgent(config: config, catalog: catalog, board: board, events: events, schedule: schedule, ingestRecords: opencastStore, logger: logger,
                                 recordingNow: { [controller] in await controller.current },
                                 linkRecording: { [controller] recording, event in await controller.link(recording: recording, toOpencastEvent: event) })
        opencastStore.connect(schedule: schedule, agent: opencast)
        self.opencastStore = opencastStore
        reload = ConfigurationReload(path: configPath, config: config, throttle: throttle, logger: logger, events: events, opencastStore: opencastStore)
        restart = DaemonRestart(notifier: notifier, logger: logger)
        uploadQueue = uploads
        self.events = events
        self.logger = logger
        await controller.connect(self)
    }

    // MARK: RecordingControllerParent

    func recordingChanged(_ recording: Bool) async { await session?.announce(recording: recording) }
    func nextPartOfBlockDue() async { await schedule.look(now: Date()) }
    func bookingsDismissed(_ bookingIDs: [String]) async { await schedule.dismiss(bookingIDs) }
    func bookedRecordingFailed() async { await schedule.startFailed() }
    func makeRoom(for bytes: Int64) async -> Int64? { await retention.makeRoom(for: bytes) }

    // MARK: ControlService: recordings

    public func startRecording(_ request: StartRecordingRequest, caller: Caller) async throws(ControlError) -> Recording {
        try await controller.start(request, initiator: UserNames.name(ofUID: caller.uid))
    }

    public func stopRecording(id: String?, caller: Caller) async throws(ControlError) -> Recording {
        try await controller.stop(id: id, because: .person("\(caller)"))
    }

    public func recordings(_ query: RecordingQuery) async throws(ControlError) -> RecordingPage { try await store.recordings(query) }

    public func recording(id: String) async throws(ControlError) -> Recording { try await store.recording(id: id) }

    public func deleteRecording(id: String, caller: Caller) async throws(ControlError) {
        let recording = try await store.recording(id: id)
        let working = await controller.isWorking(on: id)
        if recording.status.isInProgress || working {
            throw .conflict("recording \(id) is \(recording.status.rawValue); stop it and let it finish first")
        }
        try await store.delete(recording, by: caller)
    }

    // MARK: ControlService: uploads

    public func uploads() async throws(ControlError) -> [UploadJob] {
        do { return try await store.catalog.uploadJobs() } catch { throw .unavailable("the catalog cannot be read: \(error)") }
    }

    public func applyUploadAction(_ action: UploadAction, jobId: String, caller: Caller) async throws(ControlError) -> UploadJob {
        let job: UploadJob
        do { job = try await uploadQueue.apply(action, toJob: jobId) } catch { throw ControlError(error) }
        logger.notice("upload job changed", metadata: ["job": "\(jobId)", "action": "\(action.rawValue)", "by": "\(caller)"])
        return job
    }

    public func upload(id: String) async throws(ControlError) -> UploadJobDetail {
        do { return try await uploadQueue.detail(of: id) } catch { throw ControlError(error) }
    }

    public func pauseUploads(_ paused: Bool, caller: Caller) async -> Bool {
        if paused { await uploadQueue.pauseAll() } else { await uploadQueue.resumeAll() }
        await reporter.board.showWhyUploadsWait(uploadQueue)
        logger.notice(paused ? "upload queue paused" : "upload queue resumed", metadata: ["by": "\(caller)"])
        events.publish(.config, message: paused ? "the upload queue is paused" : "the upload queue is running")
        return await uploadQueue.isPaused
    }

    // MARK: ControlService: status, schedule, configuration

    public func status() -> StatusReport { reporter.status() }
    public func devices() async -> [DeviceInfo] { reporter.deviceList() }
    public func health() async -> HealthReport { await reporter.health() }
    public func metrics() async -> [Metric] { await reporter.metrics() }
    public func events(types: Set<ControlEvent.Kind>?) async -> AsyncStream<ControlEvent> { events.subscribe(types: types) }
    public func levels() -> LevelsReport { LevelsReport(time: Date(), levels: monitor.levels, alarms: monitor.alarms) }

    public func preview(source: String, width: Int) async throws(ControlError) -> Data {
        try await monitor.preview(source: source, width: width)
    }

    public func schedule() async throws(ControlError) -> [Booking] { try await schedule.upcoming() }
    public func upcoming(_ window: UpcomingWindow) async throws(ControlError) -> [UpcomingRecording] { try await schedule.upcoming(in: window) }

    public func extendRecording(_ request: ExtendRequest, caller: Caller) async throws(ControlError) -> RecordingExtension {
        try await schedule.extend(by: request, caller: caller)
    }

    public func addBooking(_ request: BookingRequest, caller: Caller) async throws(ControlError) -> Booking {
        try await schedule.add(request, by: caller)
    }

    public func removeBooking(id: String, caller: Caller) async throws(ControlError) { try await schedule.remove(id: id, by: caller) }

    public func reloadConfiguration(caller: Caller) async throws(ControlError) -> ReloadReport {
        let applied = try reload.apply(by: caller)
        controller.sources.reconfigure(applied.new.capture)
        if applied.encodersChanged { await prepareEncoders() }
        await schedule.configurationChanged()
        await uploadQueue.replaceTargets(applied.targets)
        return applied.report
    }

    public func moveSession(to room: String?, name: String?, caller: Caller) async throws(ControlError) -> SessionStatus {
        guard let session else { throw .conflict("no online session is configured ([session] connector)") }
        return try await session.move(to: room, name: name)
    }

    public func restartWhenIdle(caller: Caller) async throws(ControlError) -> RestartPlan {
        try restart.request(obstacles: await restartObstacles())
    }

    /// What a restart waits for now: the recording in progress and the next scheduled start.
    func restartObstacles() async -> DaemonRestart.Obstacles {
        DaemonRestart.Obstacles(recordingId: await controller.current?.recordingId, nextScheduledStart: status().next?.start)
    }

    // MARK: Lifecycle

    /// Finalizes, in the background of the controller, what a crash left behind; then tries the machine's
    /// encoders. Both after READY, so neither holds up the start.
    func startRecoveryAndEncoders() async {
        await controller.spawn { [self] in await recoverUnfinished() }
        await prepareEncoders()
    }

    /// Tries the machine's encoders again, as a child of the recording service (not measuring while it records).
    private func prepareEncoders() async {
        await controller.spawn { [controller] in await controller.encoders.prepare(recording: await controller.current != nil) }
    }

    /// Finalizes recordings a crash left unfinished (see ``RecordingFinalizer/recoverUnfinished(except:)``).
    func recoverUnfinished() async {
        await controller.finalizer.recoverUnfinished(except: { [controller] in await controller.current?.recordingId })
    }

    func enforceRetention(now: Date = Date()) async { await retention.enforce(now: now) }

    /// A camera or microphone appeared or went away.
    func deviceChanged(_ event: DeviceEvent) async { reporter.devices.changed(event) }
}

extension ControlError {
    /// The upload queue's refusals as the control API answers them.
    init(_ error: UploadQueueError) {
        switch error {
        case .noSuchJob: self = .notFound(error.description)
        case .notAllowed: self = .conflict(error.description)
        case .catalog: self = .unavailable(error.description)
        }
    }
}
