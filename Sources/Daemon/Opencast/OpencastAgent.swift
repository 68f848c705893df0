import Catalog
import ControlContract
import Foundation
import Logging
import Opencast
import RecorderCore
import Uploads

/// The room as an Opencast capture agent: posts the agent's state (at start, on every change and every minute,
/// `offline` on a clean stop), its capabilities (at start and when they change), and each event's recording
/// state as its recording and its ingest go; keeps the latest calendar the poller read; and shows all of it on
/// the status board. Opencast never calls the agent: every exchange is a request from here.
actor OpencastAgent {
    /// The server and client `[opencast]` describes, made again when the section changes.
    struct Link: Sendable {
        let settings: RoomRecorderConfig.Opencast
        let agent: String
        let client: OpencastClient
        let services: ServiceDirectory
    }

    let config: LiveConfiguration
    let catalog: CatalogDatabase
    let board: StatusBoard
    let events: EventHub
    let logger: Logger
    let schedule: ScheduleService
    /// The recording in progress, if any.
    private let recordingNow: @Sendable () async -> Recording?
    /// Marks the recording in progress (by id) as recording an Opencast event (an ad-hoc one just scheduled).
    let linkRecording: @Sendable (_ recordingID: String, _ eventUID: String) async -> Void
    var link: Link?
    var calendar: [String: OpencastEvent] = [:]
    /// Events whose recording ended complete here (stopped by a person or the schedule): not recorded again.
    private var completed: Set<String> = []
    /// Recordings an ad-hoc scheduling was tried for.
    var adHocTried: Set<String> = []
    var lastState: (state: String, at: MonotonicInstant)?
    private var lastCapabilities: [String: String]?
    /// Jobs delivering to Opencast now (the agent is `uploading` while any is).
    private var uploading: Set<String> = []
    private var stopping = false
    /// When the last recording of an Opencast event ended.
    private var captureEndedAt: MonotonicInstant?
    var status: OpencastStatus?
    private let wake = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    init(config: LiveConfiguration, catalog: CatalogDatabase, board: StatusBoard, events: EventHub, schedule: ScheduleService, logger: Logger,
         recordingNow: @escaping @Sendable () async -> Recording?,
         linkRecording: @escaping @Sendable (_ recordingID: String, _ eventUID: String) async -> Void) {
        self.schedule = schedule
        self.linkRecording = linkRecording
        self.config = config
        self.catalog = catalog
        self.board = board
        self.events = events
        self.logger = logger
        self.recordingNow = recordingNow
    }

    // MARK: The link to the server

    /// The current link, made (or made again) from the configuration; nil without `[opencast]`, or when its
    /// password cannot be read (said once, in the log and the status).
    func currentLink() -> Link? {
        let current = config.current
        guard let settings = current.opencast else {
            if link != nil { link = nil; status = nil; board.update { $0.opencast = nil } }
            return nil
        }
        let agent = settings.agent(in: current.room)
        if let link, link.settings == settings, link.agent == agent { return link }
        do {
            let client = try OpencastClient.configured(by: settings, timeout: 30)
            link = Link(settings: settings, agent: agent, client: client, services: ServiceDirectory(client: client, settings: settings))
            status = OpencastStatus(agent: agent, server: settings.url)
            if !settings.verifyTLS {
                logger.error("Opencast: certificate checks are OFF ([opencast] verify_tls = false); anyone between the room and \(settings.url) can read the password and the recordings")
            }
            lastState = nil
            lastCapabilities = nil
        } catch {
            link = nil
            status = OpencastStatus(agent: agent, server: settings.url)
            failed("the Opencast client cannot be made: \(error)")
        }
        publish()
        return link
    }

    /// The event `uid` as the calendar last had it.
    func event(_ uid: String) -> OpencastEvent? { calendar[uid] }

    // MARK: What the poller reports

    /// How a read of the calendar went.
    enum CalendarRead: Sendable {
        /// Answered 304 to the ETag.
        case notModified
        /// A calendar that differs from the last one, or the same one read in full.
        case changed, unchanged
        /// The copy on disk, at start.
        case fromDisk
    }

    func calendarRead(events: [OpencastEvent]?, _ read: CalendarRead) async {
        if read != .fromDisk { status?.lastCalendarFetch = Date() }
        if read == .notModified { status?.etagHits += 1 }
        if read == .changed { status?.calendarChanges += 1 }
        if let events {
            calendar = Dictionary(events.map { ($0.uid, $0) }, uniquingKeysWith: { $1 })
            status?.calendarEvents = calendar.count
            await publishSchedule()
        }
        publish()
    }

    /// Hands the schedule the calendar without the events already recorded to completion: a running event
    /// stays in Opencast's calendar, and must not be started again after a person stopped it or after a restart.
    private func publishSchedule() async {
        var finished = completed
        let now = Date()
        for event in calendar.values where event.start <= now && !finished.contains(event.uid) {
            let parts = (try? await catalog.recordings(opencastEventId: event.uid)) ?? []
            if parts.contains(where: { $0.status == .complete }) { finished.insert(event.uid) }
        }
        await schedule.use(OpencastScheduleSource(events: calendar.values.sorted { $0.start < $1.start }, finished: finished))
    }

    /// The calendar is not in force any more (`[opencast]` removed).
    func calendarDropped() async {
        calendar = [:]
        await schedule.remove(source: OpencastScheduleSource.sourceName)
    }

    func calendarFailed(_ error: Error) {
        status?.calendarFailures += 1
        failed("the calendar could not be read: \(error)")
    }

    // MARK: Running

    /// Posts the agent's state and capabilities until cancelled, and `offline` then.
    func run() async {
        let changes = events.subscribe()
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                for await event in changes { await handle(event) }
            }
            group.addTask { [wake] in
                // A look every 10 s; a post at least every minute even when nothing changed (Opencast counts silence).
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(10))
                    wake.continuation.yield()
                }
            }
            await beat()
            // Ends when the task is cancelled (roomrecd stops).
            for await _ in wake.stream { await beat() }
        }
        // Unstructured: the stop cancelled this task, and a cancelled task sends no request; the post is short.
        await Task { await post(state: "offline") }.value
    }

    /// roomrecd is stopping: the agent says so while the recording in progress is finished.
    func shuttingDown() {
        stopping = true
        wake.continuation.yield()
    }

    /// Posts the state if it changed or a minute passed, the capabilities if they changed, and `capturing` again
    /// for the event being recorded.
    private func beat() async {
        guard let link = currentLink() else { return }
        let recording = await recordingNow()
        let problem = lastingProblem()
        let state = stopping ? "shutting_down" : recording != nil ? "capturing" : !uploading.isEmpty ? "uploading" : problem != nil ? "error" : "idle"
        if status?.problem != problem {
            status?.problem = problem
            if let problem { logger.error("Opencast: the agent is in error", metadata: ["problem": "\(problem)"]) }
            publish()
        }
        let capabilities = capabilities(of: link)
        if capabilities != lastCapabilities, await post(capabilities: capabilities, link: link) { lastCapabilities = capabilities }
        if state == "idle", lastState?.state == "capturing", link.settings == config.current.opencast, config.current.library.target == .opencast,
           let ended = captureEndedAt, MonotonicInstant.now().seconds(since: ended) < 5 {
            // The recording just ended and its ingest is about to start: not idle for the second in between.
            let wake = wake.continuation
            Task {
                try? await Task.sleep(for: .seconds(5))
                wake.yield()
            }
            return
        }
        let minute = lastState.map { MonotonicInstant.now().seconds(since: $0.at) >= 60 } ?? true
        guard state != lastState?.state || minute else { return }
        await post(state: state, link: link)
        if let uid = recording?.opencastEventId, recording?.status == .active { await post(recordingState: "capturing", event: uid) }
    }

    /// A lasting problem that blocks recording: the configured camera missing, the disk under its reserve.
    private func lastingProblem() -> String? {
        let current = config.current
        if case .v4l2(let path) = current.capture.camera, !FileManager.default.fileExists(atPath: path) {
            return "the camera \(path) is missing"
        }
        if let disk = board.snapshot.disk, disk.freeBytes < current.recording.minimumFreeBytes {
            return "only \(disk.freeBytes >> 20) MiB are free in \(disk.path), under [recording] min_free_mb (\(current.recording.minimumFreeBytes >> 20))"
        }
        return nil
    }

    /// The inputs the agent records (its camera and its microphone, recorded together as one track), its time
    /// zone and its free space; whole gigabytes, so the free space changes the capabilities seldom.
    private func capabilities(of link: Link) -> [String: String] {
        let capture = config.current.capture
        var properties = [
            "capture.device.names": "camera,microphone",
            "capture.device.camera.flavor": link.settings.flavor,
            "capture.device.microphone.flavor": link.settings.flavor,
            "capture.device.timezone": TimeZone.current.identifier,
            "capture.device.timezone.offset": "\(TimeZone.current.secondsFromGMT() / 60)",
        ]
        switch capture.camera {
        case .synthetic: properties["capture.device.camera.src"] = "synthetic"
        case .v4l2(let path): properties["capture.device.camera.src"] = path
        }
        switch capture.microphone {
        case .synthetic: properties["capture.device.microphone.src"] = "synthetic"
        case .alsa(let name): properties["capture.device.microphone.src"] = name
        }
        if let disk = board.snapshot.disk { properties["capture.disk.free.gb"] = "\(disk.freeBytes >> 30)" }
        return properties
    }

    // MARK: Recording and upload events

    private func handle(_ event: ControlEvent) async {
        switch event.type {
        case .recording:
            if let recording = event.recording, let uid = recording.opencastEventId {
                switch recording.status {
                case .active: await post(recordingState: "capturing", event: uid)
                case .complete, .aborted, .limitReached, .recovered:
                    captureEndedAt = .now()
                    if recording.status == .complete, completed.insert(uid).inserted { await publishSchedule() }
                    await post(recordingState: "capture_finished", event: uid)
                case .failed: await post(recordingState: "capture_error", event: uid)
                case .starting, .ending: break
                }
            } else if let recording = event.recording, recording.status == .active, let link = currentLink(), link.settings.adHoc == .schedule {
                await scheduleAdHoc(recording, link: link)
            }
            wake.continuation.yield()
        case .upload:
            guard let job = event.upload, job.target == .opencast else { return }
            let wasUploading = uploading.contains(job.jobId)
            if job.state == .uploading, job.remoteId?.hasPrefix("opencast-package:") == true { uploading.insert(job.jobId) } else if job.state != .uploading { uploading.remove(job.jobId) }
            guard let recording = try? await catalog.recording(id: job.recordingId), let uid = recording.opencastEventId else {
                if wasUploading != uploading.contains(job.jobId) { wake.continuation.yield() }
                return
            }
            switch job.state {
            case .uploading where !wasUploading && uploading.contains(job.jobId): await post(recordingState: "uploading", event: uid)
            case .done: await post(recordingState: "upload_finished", event: uid)
            case .failed: await post(recordingState: "upload_error", event: uid)
            default: break
            }
            if wasUploading != uploading.contains(job.jobId) { wake.continuation.yield() }
        default:
            break
        }
    }
}
