import Catalog
import ControlContract
import Foundation
import RecorderCore
import Uploads

/// What the daemon tells about itself: status from the ``StatusBoard`` (no actor or database in its way), health
/// and metrics read from each collaborator when asked.
struct StatusReporter: Sendable {
    let controller: RecordingController
    let session: SessionCoordinator?
    let board: StatusBoard
    let devices: DeviceList
    let monitor: RoomMonitor
    let startedAt = MonotonicInstant.now()
    private var uploads: UploadQueue { controller.uploads }
    private var catalog: CatalogDatabase { controller.store.catalog }
    private var config: LiveConfiguration { controller.config }
    private var events: EventHub { controller.store.events }

    /// Read from the board, the configuration and the kernel only: it never waits, so the control socket answers
    /// it on its event loop (`Router.addImmediate`).
    func status() -> StatusReport {
        let config = config.current
        let board = board.snapshot
        let stats = board.pipeline?.stats.snapshot
        return StatusReport(
            state: board.current == nil ? .idle : .recording,
            version: RoomRecorderVersion.current,
            uptimeSeconds: MonotonicInstant.now().seconds(since: startedAt),
            room: RoomSummary(id: config.room.id, title: config.room.title, type: config.room.type, owner: config.room.owner),
            current: board.current,
            elapsedSeconds: board.pipeline.map { MonotonicInstant.now().seconds(since: $0.origin) },
            devices: deviceList(board),
            encoder: board.encoder,
            // Until its first picture is composed a pipeline has no layout yet, and nothing to tell.
            pipeline: stats.flatMap { stats in
                stats.layout.isEmpty ? nil : PipelineStatus(layout: stats.layout, realTimeFactor: (stats.realTimeFactor * 100).rounded() / 100, framesEncoded: stats.framesEncoded,
                               framesDropped: stats.framesDropped, avOffsetMs: (stats.audioClockError * 10_000).rounded() / 10)
            },
            disk: board.disk,
            queue: QueueSummary(byState: board.queueCounts, heldReason: board.uploadsHeld),
            session: board.session.map { session?.withLiveFigures($0) ?? $0 },
            next: board.next,
            opencast: board.opencast,
            levels: monitor.levels,
            alarms: monitor.alarms)
    }

    /// The devices, the room's own in use while it records or publishes into its online room.
    func deviceList(_ board: StatusBoard.Contents? = nil) -> [DeviceInfo] {
        let board = board ?? self.board.snapshot
        return devices.devices(attached: board.attached, inUse: board.current != nil || session?.publisher?.status != nil)
    }

    func health() async -> HealthReport {
        var checks: [String: String] = [:]
        do {
            _ = try await catalog.queueCounts()
            checks["catalog"] = "ok"
        } catch {
            checks["catalog"] = "cannot read the catalog: \(error)"
        }
        checks["pipeline"] = await controller.isMakingProgress(within: 10) ? "ok" : "the recording has received no frame for 10 s"
        let folder = config.current.recording.outputDirectory
        if let disk = DiskSpace.of(folder) {
            checks["disk"] = disk.freeBytes > 1 << 30 ? "ok" : "less than 1 GiB free in \(disk.path)"
        } else {
            checks["disk"] = "cannot read the free space of \(folder)"
        }
        // An alarm does not stop the daemon from recording: the health is degraded, with what to look at.
        let warnings = Dictionary(monitor.alarms.map { ($0.kind.rawValue, $0.message) }, uniquingKeysWith: { a, _ in a })
        return HealthReport(checks: checks, warnings: warnings)
    }

    func metrics() async -> [Metric] {
        let recording = await controller.snapshot()
        let failures = await uploads.failures
        let counts = (try? await catalog.queueCounts()) ?? [:]
        let statuses = (try? await catalog.recordingCounts()) ?? [:]
        var metrics = [
            Metric("roomrec_build_info", .gauge, "Version of roomrecd.", samples: [(["version": RoomRecorderVersion.current], 1)]),
            Metric("roomrec_uptime_seconds", .gauge, "Seconds since roomrecd started.", value: MonotonicInstant.now().seconds(since: startedAt)),
            Metric("roomrec_recording_active", .gauge, "1 while a recording is in progress.", value: recording.current == nil ? 0 : 1),
            Metric("roomrec_recording_elapsed_seconds", .gauge, "Seconds since the recording in progress started.", value: recording.elapsedSeconds ?? 0),
            Metric("roomrec_recording_start_latency_seconds", .gauge, "From the last start request to its first frame in the file.",
                   value: recording.lastStartLatency ?? 0),
            Metric("roomrec_recording_stop_latency_seconds", .gauge, "From the last stop request to its finalized file in the upload queue.",
                   value: recording.lastStopLatency ?? 0),
            Metric("roomrec_next_recording_timestamp_seconds", .gauge, "When the next scheduled recording starts (Unix time, with its pre-roll); 0: none within a week.",
                   value: board.snapshot.next?.start.timeIntervalSince1970 ?? 0),
            Metric("roomrec_recordings_started_total", .counter, "Recordings started since roomrecd started.", value: Double(recording.recordingsStarted)),
            Metric("roomrec_video_frames_dropped_total", .counter, "Video frames dropped since roomrecd started.", value: Double(recording.droppedVideoFrames)),
            Metric("roomrec_recordings", .gauge, "Recordings in the catalog by status.",
                   samples: RecordingState.allCases.map { (["status": $0.rawValue], Double(statuses[$0] ?? 0)) }),
            Metric("roomrec_upload_jobs", .gauge, "Upload jobs by state.",
                   samples: UploadState.allCases.map { (["state": $0.rawValue], Double(counts[$0] ?? 0)) }),
            Metric("roomrec_event_subscribers", .gauge, "Clients following GET /v1/events.", value: Double(events.subscriberCount)),
            Metric("roomrec_upload_bytes_total", .counter, "Bytes the media library confirmed since roomrecd started.",
                   value: Double(await uploads.bytesUploaded)),
            Metric("roomrec_upload_failures_total", .counter, "Failed upload attempts since roomrecd started, by kind.",
                   samples: ["transient", "permanent"].map { (["kind": $0], Double(failures[$0] ?? 0)) }),
            Metric("roomrec_upload_oldest_queued_seconds", .gauge, "Age of the oldest job waiting to upload.", value: await uploads.oldestQueuedAge()),
            Metric("roomrec_upload_queue_paused", .gauge, "1 while the whole upload queue is paused.", value: await uploads.isPaused ? 1 : 0),
        ]
        if let session {
            let roster = await session.roster
            let publishing = session.publisher?.status
            metrics += [
                Metric("roomrec_session_joined", .gauge, "1 while the room is in its online session.", value: roster.state == .joined ? 1 : 0),
                Metric("roomrec_session_participants", .gauge, "Others on stage in the online session.", value: Double(roster.participants.count)),
                Metric("roomrec_session_host_present", .gauge, "1 while the session's host is on stage.", value: roster.hostPresent ? 1 : 0),
                Metric("roomrec_session_reconnects_total", .counter, "Times the room joined its session again after a drop.", value: Double(roster.reconnects)),
                Metric("roomrec_session_publish_video_kbps", .gauge, "Bitrate of the room's picture sent into the session.",
                       value: publishing?.videoKbps ?? 0),
                Metric("roomrec_session_publish_target_kbps", .gauge, "Video bitrate the publication aims at (the configured one, or the session's estimate).",
                       value: Double(publishing?.videoTargetKbps ?? 0)),
                Metric("roomrec_session_keyframe_requests_total", .counter, "Keyframes the session's receivers asked of the room's publication.",
                       value: Double(publishing?.keyframeRequests ?? 0)),
            ]
        }
        let current = config.current
        let alarms = Set(monitor.alarms.map(\.kind))
        let levels = monitor.levels
        metrics += [
            Metric("roomrec_room_info", .gauge, "The room this daemon records (its id and title), to name it in alerts.",
                   samples: [(["room": current.room.id, "title": current.room.title], 1)]),
            Metric("roomrec_alarm_active", .gauge, "1 while an alarm is raised (thresholds in [monitor]).",
                   samples: Alarm.Kind.allCases.map { (["alarm": $0.rawValue], alarms.contains($0) ? 1 : 0) }),
            Metric("roomrec_camera_present", .gauge, "1 while the configured camera is attached (always 1 for the synthetic stage).",
                   value: monitor.cameraPresent ? 1 : 0),
            Metric("roomrec_disk_reserve_bytes", .gauge, "Free bytes a recording needs to start ([recording] min_free_mb).",
                   value: Double(current.recording.minimumFreeBytes)),
            Metric("roomrec_audio_peak_dbfs", .gauge, "Peak level of each source over its last 100 ms window (dBFS; -120 is silence).",
                   samples: levels.map { (["source": $0.source], $0.peakDbfs) }),
            Metric("roomrec_audio_rms_dbfs", .gauge, "RMS level of each source over its last 100 ms window (dBFS; -120 is silence).",
                   samples: levels.map { (["source": $0.source], $0.rmsDbfs) }),
        ]
        if let opencast = board.snapshot.opencast {
            metrics += [
                Metric("roomrec_opencast_agent_state", .gauge, "1 for the state last posted to Opencast's capture-admin service.",
                       samples: ["idle", "capturing", "uploading", "error", "shutting_down", "offline"].map { (["state": $0], opencast.agentState == $0 ? 1 : 0) }),
                Metric("roomrec_opencast_calendar_fetches_total", .counter, "Reads of the agent's Opencast calendar since roomrecd started, by result.",
                       samples: [(["result": "changed"], Double(opencast.calendarChanges)), (["result": "unchanged"], Double(opencast.etagHits)),
                                 (["result": "failed"], Double(opencast.calendarFailures))]),
                Metric("roomrec_opencast_last_calendar_fetch_timestamp_seconds", .gauge, "When the Opencast calendar was last read (Unix time); 0: never.",
                       value: opencast.lastCalendarFetch?.timeIntervalSince1970 ?? 0),
            ]
        }
        if let disk = DiskSpace.of(config.current.recording.outputDirectory) {
            metrics.append(Metric("roomrec_disk_free_bytes", .gauge, "Free bytes where recordings are written.",
                                  samples: [(["path": disk.path], Double(disk.freeBytes))]))
        }
        return metrics
    }
}

extension RecordingController {
    /// What metrics show of the recording in progress and of the recordings so far.
    struct Snapshot: Sendable {
        var current: Recording?
        var elapsedSeconds: Double?
        var recordingsStarted: Int
        var droppedVideoFrames: Int
        var lastStartLatency: Double?
        var lastStopLatency: Double?
    }

    func snapshot() -> Snapshot {
        Snapshot(current: active?.recording, elapsedSeconds: active.map { MonotonicInstant.now().seconds(since: $0.pipeline.origin) },
                 recordingsStarted: recordingsStarted, droppedVideoFrames: droppedVideoFrames,
                 lastStartLatency: lastStartLatency, lastStopLatency: lastStopLatency)
    }
}
