import Catalog
import ControlContract
import Foundation
import Logging
import Networking
import Opencast
import RecorderCore
import Uploads

/// The room as an Opencast capture agent: posts the agent's state (at start, on every change and every minute,
/// `offline` on a clean stop), its capabilities (at start and when they change), and each event's recording
/// state as its recording and its ingest go; keeps the calendar the poller read and hands it to the schedule; and
/// shows all of it on the status board. Opencast never calls the agent: every exchange is a request from here.
actor OpencastAgent {
    /// The server and client `[opencast]` describes, made again when the section or the password file changes.
    struct Link: Sendable {
        let settings: RoomRecorderConfig.Opencast
        let agent: String
        let client: OpencastClient
        let services: ServiceDirectory
        /// The password file's modification time and size when it was read.
        let passwordStamp: [Int]
        /// Tells one link from the next, across awaits.
        let generation: Int
    }

    let config: LiveConfiguration
    let catalog: CatalogDatabase
    let board: StatusBoard
    let events: EventHub
    let logger: Logger
    let schedule: ScheduleService
    let ingestRecords: OpencastIngestRecords
    /// The recording in progress, if any.
    let recordingNow: @Sendable () async -> Recording?
    /// Marks the recording in progress (by id) as recording an Opencast event (an ad-hoc one just scheduled).
    let linkRecording: @Sendable (_ recordingID: String, _ eventUID: String) async -> Void
    var link: Link?
    private var generation = 0
    var calendar: [String: OpencastEvent] = [:]
    /// The calendar (or the knowledge that there is none yet) reached the schedule since the start.
    var calendarSettled = false
    /// Events whose recording ended complete here (stopped by a person or the schedule): not recorded again.
    var completed: Set<String> = []
    var publishing = 0
    /// Recordings an ad-hoc scheduling was tried for.
    var adHocTried: Set<String> = []
    /// Events whose `uploading` was posted since roomrecd started (a part waiting for another is claimed again).
    var uploadingPosted: Set<String> = []
    var lastState: (state: String, at: MonotonicInstant)?
    var lastCapabilities: [String: String]?
    /// After a failed post, none before this instant (a refusing or absent Opencast is not asked every 10 s).
    var quietUntil: MonotonicInstant?
    var failures = 0
    /// When the agent last was capturing or uploading: `idle` waits a few seconds, so the moment between the end
    /// of a recording and the start of its ingest is not reported.
    var busyAt: MonotonicInstant?
    private var stopping = false
    var status: OpencastStatus?
    /// The last error logged for each kind of request, so an outage is logged once per kind.
    var loggedErrors: [String: String] = [:]
    let wake = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    init(config: LiveConfiguration, catalog: CatalogDatabase, board: StatusBoard, events: EventHub, schedule: ScheduleService,
         ingestRecords: OpencastIngestRecords, logger: Logger, recordingNow: @escaping @Sendable () async -> Recording?,
         linkRecording: @escaping @Sendable (_ recordingID: String, _ eventUID: String) async -> Void) {
        self.config = config
        self.catalog = catalog
        self.board = board
        self.events = events
        self.schedule = schedule
        self.ingestRecords = ingestRecords
        self.logger = logger
        self.recordingNow = recordingNow
        self.linkRecording = linkRecording
    }

    // MARK: The link to the server

    /// The current link, made (or made again) from the configuration; nil without `[opencast]`, or when its
    /// password cannot be read (said once, in the log and the status). An agent renamed or removed is told
    /// `offline` first.
    func currentLink() async -> Link? {
        let current = config.current
        let settings = current.opencast
        let agent = settings?.agent(in: current.room)
        let stamp = settings.map { Self.stamp(of: $0.passwordFile) } ?? []
        if let link, link.settings == settings, link.agent == agent, link.passwordStamp == stamp { return link }
        if let old = link, old.settings.url != settings?.url || old.agent != agent { await post(state: "offline", link: old) }
        link = nil
        lastState = nil
        lastCapabilities = nil
        quietUntil = nil
        guard let settings, let agent else {
            status = nil
            publish()
            return nil
        }
        status = OpencastStatus(agent: agent, server: settings.url)
        do {
            let client = try OpencastClient.configured(by: settings, timeout: 30)
            generation += 1
            link = Link(settings: settings, agent: agent, client: client, services: ServiceDirectory(client: client, settings: settings),
                        passwordStamp: stamp, generation: generation)
            if !settings.verifyTLS {
                logger.error("Opencast: certificate checks are OFF ([opencast] verify_tls = false); anyone between the room and \(settings.url) can read the password and the recordings")
            }
        } catch {
            failed("client", "the Opencast client cannot be made: \(error)")
        }
        publish()
        return link
    }

    /// A file's modification time and size, so a new password is read again after a reload.
    private static func stamp(of configured: String) -> [Int] {
        var info = stat()
        guard let path = SecretFile.path(of: configured), stat(path, &info) == 0 else { return [] }
        return [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_size)]
    }

    /// The event `uid` as the calendar last had it.
    func event(_ uid: String) -> OpencastEvent? { calendar[uid] }

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
        guard let link else { return }
        // Unstructured: the stop cancelled this task, and a cancelled task sends no request. At most 5 s: the stop
        // must not wait on an Opencast that does not answer.
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.post(state: "offline", link: link) }
                group.addTask { try? await Task.sleep(for: .seconds(5)) }
                await group.next()
                group.cancelAll()
            }
        }.value
    }

    /// roomrecd is stopping: the agent says so while the recording in progress is finished.
    func shuttingDown() {
        stopping = true
        wake.continuation.yield()
    }

    /// Posts the state if it changed or a minute passed, the capabilities if they changed, and `capturing` again
    /// for the event being recorded.
    private func beat() async {
        guard let link = await currentLink() else { return }
        if let quiet = quietUntil, MonotonicInstant.now() < quiet { return }
        let recording = await recordingNow()
        let uploading = await isIngesting()
        let problem = lastingProblem()
        let state = stopping ? "shutting_down" : recording != nil ? "capturing" : uploading ? "uploading" : problem != nil ? "error" : "idle"
        if state == "capturing" || state == "uploading" { busyAt = .now() }
        if status?.problem != problem {
            status?.problem = problem
            if let problem { logger.error("Opencast: the agent is in error", metadata: ["problem": "\(problem)"]) }
            publish()
        }
        let capabilities = capabilities(of: link)
        if capabilities != lastCapabilities, await post(capabilities: capabilities, link: link), link.generation == self.link?.generation {
            lastCapabilities = capabilities
        }
        if state == "idle", let busy = busyAt, MonotonicInstant.now().seconds(since: busy) < 5, lastState?.state != "idle" {
            // A recording just ended and its ingest is about to start (or a waiting part was looked at): not idle
            // for the second in between.
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
        // Read again: the recording may have ended while the state was posted, and its `capture_finished` must stay the last word.
        if let current = await recordingNow(), current.status == .active, let uid = current.opencastEventId {
            await post(recordingState: "capturing", event: uid)
        }
    }

    /// Whether an ingest into Opencast is under way: a job delivering to Opencast that has begun its package.
    private func isIngesting() async -> Bool {
        guard config.current.library.target == .opencast || config.current.opencast != nil else { return false }
        let jobs = (try? await catalog.uploadJobs()) ?? []
        return jobs.contains { $0.target == .opencast && $0.state == .uploading && $0.remoteId?.hasPrefix("opencast-package:") == true }
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
            guard let recording = event.recording else { return }
            if let uid = recording.opencastEventId {
                switch recording.status {
                case .active:
                    await keepEvent(uid)
                    await post(recordingState: "capturing", event: uid)
                case .complete, .aborted, .limitReached, .recovered:
                    busyAt = .now()
                    if recording.status == .complete, completed.insert(uid).inserted { await publishSchedule() }
                    await post(recordingState: "capture_finished", event: uid)
                case .failed: await post(recordingState: "capture_error", event: uid)
                case .starting, .ending: break
                }
            } else if recording.status == .active, config.current.library.target == .opencast, let link = await currentLink(),
                      link.settings.adHoc == .schedule, adHocTried.insert(recording.recordingId).inserted {
                // Unstructured: scheduling takes several requests, and the events that follow must not wait for them.
                Task { await self.scheduleAdHoc(recording, link: link) }
            }
            wake.continuation.yield()
        case .upload:
            guard let job = event.upload, job.target == .opencast else { return }
            wake.continuation.yield()
            guard let recording = try? await catalog.recording(id: job.recordingId), let uid = recording.opencastEventId else { return }
            switch job.state {
            case .uploading where job.remoteId?.hasPrefix("opencast-package:") == true:
                if uploadingPosted.insert(uid).inserted { await post(recordingState: "uploading", event: uid) }
            case .done: await post(recordingState: "upload_finished", event: uid)
            case .failed: await post(recordingState: "upload_error", event: uid)
            default: break
            }
        default:
            break
        }
    }
}
