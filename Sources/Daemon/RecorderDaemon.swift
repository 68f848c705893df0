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
    private let config: RoomRecorderConfig
    private let catalog: CatalogDatabase
    private let uploads: UploadQueue
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let startedAt = MonotonicInstant.now()
    private var active: ActiveRecording?
    private var lastEncoders = EncoderSummary(video: "libx264", audio: "aac")

    /// The recording being written and the task that finishes it when its pipeline ends.
    private struct ActiveRecording {
        var recording: Recording
        let pipeline: RecordingPipeline
        /// Why it is being stopped early (nil: asked to stop by a caller, or not stopping).
        var earlyStopReason: String?
        var completion: Task<Void, Never>?
    }

    public init(config: RoomRecorderConfig, catalog: CatalogDatabase, uploads: UploadQueue, logger: Logger,
                notifier: SystemdNotifier = SystemdNotifier()) {
        self.config = config
        self.catalog = catalog
        self.uploads = uploads
        self.logger = logger
        self.notifier = notifier
    }

    // MARK: ControlService

    public func startRecording(_ request: StartRecordingRequest, caller: Caller) async throws(ControlError) -> Recording {
        if let active {
            throw .conflict("recording \(active.recording.recordingId) is already \(active.recording.status.rawValue); stop it first")
        }
        let now = Date()
        let id = UUID().uuidString.lowercased()
        let title = request.title ?? config.room.title
        let name = RecordingName(startedAt: now, title: title, timeZone: .current)
        let initiator = UserNames.name(ofUID: caller.uid)
        var recording = Recording(
            recordingId: id, roomId: config.room.id, title: title, name: name.displayName, filename: name.fileName,
            status: .starting, owner: config.room.type.recordingOwner(roomOwner: config.room.owner, initiator: initiator),
            initiator: initiator, startDate: now, path: "\(config.recording.outputDirectory)/.\(id).recording.mp4")
        do {
            try catalog.insert(recording)
        } catch {
            throw .unavailable("the catalog cannot store a new recording: \(error)")
        }
        let pipeline: RecordingPipeline
        do {
            pipeline = try RecordingPipeline(
                workingPath: recording.path,
                video: VideoEncoderSettings(preset: config.recording.videoPreset.rawValue, bitrateKbps: config.recording.videoBitrateKbps),
                audio: AudioEncoderSettings(bitrateKbps: config.recording.audioBitrateKbps))
        } catch {
            recording.status = .failed
            recording.reason = "could not start: \(error)"
            recording.endDate = Date()
            try? catalog.update(recording)
            logger.error("recording failed to start", metadata: ["recording": "\(id)", "error": "\(error)"])
            throw .unavailable("the recording could not start: \(error)")
        }
        lastEncoders = EncoderSummary(video: pipeline.encoderNames.video, audio: pipeline.encoderNames.audio)
        recording.status = .active
        try? catalog.update(recording)
        active = ActiveRecording(recording: recording, pipeline: pipeline)
        active?.completion = Task { [self] in
            let outcome = await pipeline.run()
            await pipelineEnded(id: id, outcome: outcome)
        }
        logger.notice("recording started", metadata: ["recording": "\(id)", "name": "\(recording.name)", "initiator": "\(initiator)"])
        notifier.status("Recording \"\(recording.name)\"")
        return recording
    }

    public func stopCurrentRecording(caller: Caller) async throws(ControlError) -> Recording {
        guard var current = active else { throw .conflict("no recording is active") }
        guard current.recording.status == .active else {
            throw .conflict("recording \(current.recording.recordingId) is already \(current.recording.status.rawValue)")
        }
        current.recording.status = .ending
        try? catalog.update(current.recording)
        active = current
        current.pipeline.stop()
        logger.notice("recording stopping", metadata: ["recording": "\(current.recording.recordingId)", "by": "\(caller)"])
        return current.recording
    }

    public func recordings() async throws(ControlError) -> [Recording] {
        do { return try catalog.recordings() } catch { throw .unavailable("the catalog cannot be read: \(error)") }
    }

    public func uploads() async throws(ControlError) -> [UploadJob] {
        do { return try catalog.uploadJobs() } catch { throw .unavailable("the catalog cannot be read: \(error)") }
    }

    public func status() async -> StatusReport {
        var devices = [
            DeviceInfo(kind: "camera", id: "synthetic", name: "Synthetic stage (1920×1080, 30 fps)", inUse: active != nil),
            DeviceInfo(kind: "microphone", id: "synthetic", name: "Synthetic tone (48 kHz stereo)", inUse: active != nil),
        ]
        devices += DeviceInventory.cameras() + DeviceInventory.microphones()
        return StatusReport(
            state: active == nil ? "idle" : "recording",
            version: RoomRecorderVersion.current,
            uptimeSeconds: MonotonicInstant.now().seconds(since: startedAt),
            room: RoomSummary(id: config.room.id, title: config.room.title, type: config.room.type, owner: config.room.owner),
            current: active?.recording,
            elapsedSeconds: active.map { MonotonicInstant.now().seconds(since: $0.pipeline.origin) },
            devices: devices,
            encoder: lastEncoders,
            disk: DiskSpace.of(config.recording.outputDirectory),
            queue: QueueSummary(counts: (try? catalog.queueCounts()) ?? [:]))
    }

    // MARK: Lifecycle

    /// Whether the recording pipeline (if any) delivered a frame in the last `seconds`.
    func isMakingProgress(within seconds: Double) -> Bool {
        active.map { $0.recording.status != .active || $0.pipeline.secondsSinceProgress < seconds } ?? true
    }

    /// Stops a recording in progress (marking it `aborted` with `reason`) and waits until its file is
    /// finalized and queued.
    public func shutdown(reason: String) async {
        guard var current = active else { return }
        if current.recording.status == .active {
            current.earlyStopReason = reason
            current.recording.status = .ending
            try? catalog.update(current.recording)
            active = current
            current.pipeline.stop()
        }
        await current.completion?.value
    }

    /// Finalizes recordings a crash left unfinished: the fragmented file is playable up to its last fragment,
    /// so it is turned into a standard MP4, marked `recovered` and queued like any other.
    public func recoverUnfinished() async {
        let unfinished: [Recording]
        do { unfinished = try catalog.unfinishedRecordings() } catch {
            logger.error("cannot read unfinished recordings", metadata: ["error": "\(error)"])
            return
        }
        for var recording in unfinished {
            logger.warning("recovering a recording left unfinished by a crash", metadata: ["recording": "\(recording.recordingId)"])
            recording.endDate = recording.endDate ?? Self.modificationDate(of: recording.path) ?? Date()
            await finalizeAndQueue(&recording, status: .recovered,
                                   reason: "roomrecd stopped while recording; the file was recovered up to its last fragment")
        }
    }

    private func pipelineEnded(id: String, outcome: RecordingPipeline.Outcome) async {
        guard let current = active, current.recording.recordingId == id else { return }
        active = nil
        var recording = current.recording
        recording.endDate = Date()
        let status: RecordingState
        let reason: String?
        if let failure = outcome.failure {
            (status, reason) = (.aborted, failure)
        } else if let early = current.earlyStopReason {
            (status, reason) = (.aborted, early)
        } else {
            (status, reason) = (.complete, nil)
        }
        if outcome.droppedVideoFrames > 0 {
            logger.warning("video frames dropped", metadata: ["recording": "\(id)", "dropped": "\(outcome.droppedVideoFrames)", "written": "\(outcome.videoFrames)"])
        }
        await finalizeAndQueue(&recording, status: status, reason: reason)
        notifier.status("Idle")
    }

    /// Remuxes the working file into the final MP4, hashes it, and stores the result with its upload job in
    /// one transaction. A file that cannot be finalized leaves the recording `failed` and its working file kept.
    private func finalizeAndQueue(_ recording: inout Recording, status: RecordingState, reason: String?) async {
        let working = recording.path
        let outputDirectory = config.recording.outputDirectory
        let fileName = recording.filename
        let result: Result<(path: String, finalized: MP4Finalizer.Result, sha256: String), Error> = await Task.detached {
            do {
                guard FileManager.default.fileExists(atPath: working) else { throw FinalizeError("no file was written (\(working))") }
                let destination = Self.freePath(for: fileName, in: outputDirectory)
                let finalized = try MP4Finalizer.finalize(fragmented: working, to: destination)
                let digest = try FileDigest.sha256(path: destination)
                try FileManager.default.removeItem(atPath: working)
                try FileSync.fsyncDirectory(at: outputDirectory)
                return .success((destination, finalized, digest))
            } catch {
                return .failure(error)
            }
        }.value
        switch result {
        case .success(let done):
            recording.status = status
            recording.reason = reason
            recording.path = done.path
            recording.filename = (done.path as NSString).lastPathComponent
            recording.duration = done.finalized.duration
            recording.size = done.finalized.size
            recording.sha256 = done.sha256
            let now = Date()
            let job = UploadJob(jobId: UUID().uuidString.lowercased(), recordingId: recording.recordingId, target: config.library.target.rawValue,
                                nextAttemptAt: now, totalBytes: done.finalized.size, createdAt: now, updatedAt: now)
            do {
                try catalog.finish(recording, queueing: job)
                logger.notice("recording finished and queued for upload", metadata: [
                    "recording": "\(recording.recordingId)", "status": "\(status.rawValue)", "file": "\(done.path)",
                    "duration": "\(String(format: "%.2f", done.finalized.duration))", "bytes": "\(done.finalized.size)",
                ])
                await uploads.wake()
            } catch {
                logger.critical("cannot store a finished recording", metadata: ["recording": "\(recording.recordingId)", "error": "\(error)"])
            }
        case .failure(let error):
            recording.status = .failed
            recording.reason = [reason, "the file could not be finalized: \(error)"].compactMap { $0 }.joined(separator: "; ")
            try? catalog.update(recording)
            logger.error("recording could not be finalized", metadata: ["recording": "\(recording.recordingId)", "error": "\(error)"])
        }
    }

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
