import Foundation
import Media
import RecorderCore
import Synchronization

/// One recording's media path. Sources (the room's camera and microphone through ``RoomSources``, remote
/// participants as they come) deliver from threads of their own into ``StageInputs`` and the ``AudioMixer``; the output loop,
/// on a thread of its own, keeps the canvas clock: every 1/30 s it composes the stage for that instant, mixes the
/// audio up to shortly before now, and hands both to the encoders and the fragmented-MP4 writer. Capture and
/// encoding block, so none of this runs on Swift's cooperative pool.
final class RecordingPipeline: Sendable {
    /// How the pipeline ended.
    struct Outcome: Sendable {
        /// Nil when it ran until asked to stop; otherwise what stopped it early.
        var failure: String?
        var videoFrames: Int
        var droppedVideoFrames: Int
        /// The finished file, when it was made whole; nil when it must be salvaged like a crash's.
        var file: RecordingWriter.Summary?
        /// When the first video frame reached the muxer.
        var firstFrameAt: MonotonicInstant?
        /// Set when the video encoder itself failed (a GPU that went away): the recording can go on with another.
        var encoderFailure: String?
        /// Set when libx264 could not keep up with its preset: the recording goes on with this faster one.
        var fasterPreset: String?
    }

    /// The id the room camera and microphone have on the stage.
    static let roomCamera = "room-camera"
    static let roomMicrophone = "room-microphone"
    /// How long after an output instant its frame is composed: the sources' pictures for it have arrived.
    static let composeDelay = 0.05
    /// How far behind now the audio is mixed: the sources' periods for it have arrived.
    static let mixDelay = 0.1
    /// An output frame more than this late is skipped (counted as dropped, "encoder behind").
    static let maxLateness = 0.5

    let workingPath: String
    let origin: MonotonicInstant
    let encoderNames: (video: String, audio: String)
    let stats = PipelineStats()
    /// The libx264 preset, when libx264 encodes (the governor may step it down).
    private let x264Preset: String?
    private let stopFlag = Atomic(false)
    /// When the last frame was written, for the watchdog.
    private let progress: ProgressMark
    private let stage = StageInputs()
    private let mixer: AudioMixer
    private let parts: Mutex<Parts?>
    /// The room's camera and microphone feeding this recording, from the end of `init` until the file is done.
    private let attachment: RoomSources.Attachment
    /// The room sources' late frames when this recording began, to count its own.
    private let lateBefore: Int

    private struct Parts: @unchecked Sendable {
        var writer: RecordingWriter
        var compositor: Compositor
    }

    /// What a capture device did, for events and logs: a message, and whether it is a warning.
    typealias DeviceReport = RoomSources.DeviceReport
    private let report: DeviceReport
    /// The monitor: levels, previews and alarms from what passes here anyway.
    private let tap: (any PipelineTap)?
    /// The room's camera and microphone, shared with the session's publication.
    private let sources: RoomSources

    /// Opens the encoders and the output file; throws if either cannot be opened, before anything runs. The
    /// output instants fall on the room sources' frame grid, so a synthetic stage's pictures land on them; the
    /// first is the grid instant just before now, so nothing a source captures from now on falls before it.
    init(workingPath: String, video: VideoEncoderSettings, audio: AudioEncoderSettings, layout: StageLayout.Mode = .auto,
         sources: RoomSources, report: @escaping DeviceReport = { _, _ in }, tap: (any PipelineTap)? = nil) throws {
        self.report = report
        self.tap = tap
        self.sources = sources
        self.workingPath = workingPath
        x264Preset = video.encoder.kind == .x264 ? video.preset : nil
        origin = sources.gridInstant(atOrBefore: .now())
        let writer = try RecordingWriter(path: workingPath, origin: origin, video: video, audio: audio)
        encoderNames = writer.encoderNames
        progress = ProgressMark(origin)
        mixer = AudioMixer(origin: origin, frameSize: writer.audioFrameSize)
        stage.join(StageLayout.Source(id: Self.roomCamera, kind: .roomCamera, width: sources.nominalSize.width, height: sources.nominalSize.height))
        try mixer.join(Self.roomMicrophone)
        parts = Mutex(Parts(writer: writer, compositor: try Compositor(mode: layout)))
        // The sources attach here, as the encoders are open, not when the output loop's thread gets going: the
        // first output instants are due already, and their pictures and sound must be captured by then.
        lateBefore = sources.framesLate
        let microphoneFailing = Atomic(false)
        attachment = sources.attach(RoomSources.Consumer(
            picture: { [stage] in stage.deliver($0, from: Self.roomCamera) },
            sound: { [mixer, report] period in
                if let error = mixer.deliverOrRestart(period, from: Self.roomMicrophone) {
                    if !microphoneFailing.exchange(true, ordering: .relaxed) {
                        report("the room's sound: a period could not be mixed (\(error)); its converter is reset", true)
                    }
                } else {
                    microphoneFailing.store(false, ordering: .relaxed)
                }
            }))
        stats.update { $0.encoder = writer.encoderNames.video }
    }

    /// Runs on new threads until `stop()`, then finishes the file; returns how it ended.
    func run() async -> Outcome {
        await withCheckedContinuation { continuation in
            let thread = Thread { [self] in continuation.resume(returning: runBlocking()) }
            thread.name = "roomrec.pipeline"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// Asks the pipeline to stop after the frame in hand.
    func stop() { stopFlag.store(true, ordering: .relaxed) }

    /// A participant of the online session comes on stage: a tile (its picture, or the slate until the first one)
    /// and a voice in the mix; a participant's shared screen is a content tile with no voice. Calling it again
    /// for one on stage changes nothing.
    func addParticipant(_ id: String, screen: Bool = false, voice: Bool = true) {
        stage.join(StageLayout.Source(id: id, kind: screen ? .screen : .participant, width: 1280, height: 720))
        if voice { try? mixer.join(id) }
    }

    /// Who speaks now, for the speaker layout (nil: nobody in the session does).
    func setSpeaker(_ id: String?) { stage.activeSpeaker = id }

    /// A participant left the stage: its tile goes at the next frame, its voice at once.
    func removeParticipant(_ id: String) {
        stage.leave(id)
        mixer.leave(id)
    }

    /// A decoded picture or block of samples from a participant (from the session's threads).
    func deliverParticipant(_ frame: MediaFrame, from id: String, kind: SessionTrack.Kind) {
        switch kind {
        case .video: stage.deliver(frame, from: id)
        case .audio: mixer.deliverOrRestart(frame, from: id)
        }
        tap?.participant(frame, from: id, isVideo: kind == .video)
    }

    /// Seconds since the pipeline last delivered a frame.
    var secondsSinceProgress: Double {
        MonotonicInstant.now().seconds(since: progress.last)
    }

    private func runBlocking() -> Outcome {
        guard let taken = parts.withLock({ p -> Parts? in defer { p = nil }; return p }) else {
            return Outcome(failure: "the pipeline was already run", videoFrames: 0, droppedVideoFrames: 0)
        }

        var failure: String?
        var firstFrameAt: MonotonicInstant?
        var encoderFailure: String?
        var fasterPreset: String?
        do {
            (firstFrameAt, fasterPreset) = try runOutputLoop(writer: taken.writer, compositor: taken.compositor)
        } catch {
            failure = Self.explain(error, path: workingPath)
            if let error = error as? FFmpegError, error.operation.contains("(\(encoderNames.video))") || error.operation.hasPrefix("av_hwframe") {
                encoderFailure = "\(error)"
                failure = "the video encoder \(encoderNames.video) failed: \(error)"
            }
        }
        // Whatever ended the output loop, the file takes no more of the room's frames (capture goes on while the
        // session publishes them).
        attachment.detach()
        tap?.recordingEnded()
        var file: RecordingWriter.Summary?
        do {
            let finished = try taken.writer.finish()
            file = finished.summary
            if let error = finished.failure { failure = failure ?? Self.explain(error, path: workingPath) }
        } catch {
            failure = failure ?? "the file could not be finished: \(error)"
        }
        let late = sources.framesLate - lateBefore
        if late > 0 { stats.update { $0.framesDropped["source late", default: 0] += late } }
        let snapshot = stats.snapshot
        return Outcome(failure: failure, videoFrames: taken.writer.videoFrames,
                       droppedVideoFrames: taken.writer.droppedVideoFrames + snapshot.framesDropped.values.reduce(0, +),
                       file: file, firstFrameAt: firstFrameAt, encoderFailure: encoderFailure, fasterPreset: fasterPreset)
    }

    /// Composes and mixes on the canvas clock until stopped, or until the governor says libx264 needs a faster
    /// preset; returns when the first frame went to the muxer, and the faster preset if one is needed.
    private func runOutputLoop(writer: RecordingWriter, compositor: Compositor) throws -> (MonotonicInstant?, String?) {
        let frameInterval = 1.0 / 30
        var index: Int64 = 0
        var firstFrameAt: MonotonicInstant?
        var lastInstant = origin
        var governor = EncoderGovernor()
        var second = (frames: 0, busy: 0.0, dropped: 0)
        var fasterPreset: String?
        while !stopFlag.load(ordering: .relaxed) {
            let instant = origin.advanced(by: Double(index) * frameInterval)
            let due = instant.advanced(by: Self.composeDelay)
            MonotonicInstant.sleep(until: due)
            let started = MonotonicInstant.now()
            let lateness = started.seconds(since: due)
            if lateness > Self.maxLateness {
                // Behind: skip to the frame that is due now, and say so.
                let skipped = Int64(lateness / frameInterval)
                index += skipped
                second.dropped += Int(skipped)
                stats.update { $0.framesDropped["encoder behind", default: 0] += Int(skipped) }
                report(String(format: "the recording fell %.2f s behind at %.1f s: %d frames skipped", lateness, instant.seconds(since: origin), skipped), true)
                continue
            }
            let canvas = try compositor.compose(stage.pictures(at: instant, frameInterval: frameInterval), speakerId: stage.activeSpeaker, at: instant)
            try writer.consume(video: canvas)
            tap?.composed(canvas)
            for block in try mixer.mix(until: MonotonicInstant.now().advanced(by: -Self.mixDelay)) {
                try writer.consume(audio: block)
                tap?.mixed(block)
            }
            progress.mark()
            if firstFrameAt == nil { firstFrameAt = .now() }
            let busy = MonotonicInstant.now().seconds(since: started)
            stats.update {
                $0.framesEncoded += 1
                // Frame interval over the time a frame took: how many times real time the pipeline could run.
                let factor = frameInterval / max(busy, 1e-4)
                $0.realTimeFactor = $0.realTimeFactor == 0 ? factor : 0.98 * $0.realTimeFactor + 0.02 * factor
                $0.layout = compositor.layout.mode.rawValue
                if $0.framesEncoded % 30 == 0 { $0.audioClockError = mixer.largestClockError }
            }
            lastInstant = instant
            index += 1
            second.frames += 1
            second.busy += busy
            if second.frames == 30 {
                let struggling = governor.observe(.init(speed: 30 * frameInterval / max(second.busy, 1e-4), framesDropped: second.dropped))
                second = (0, 0, 0)
                if struggling, let preset = x264Preset, let faster = X264Calibration.faster(than: preset) {
                    fasterPreset = faster
                    stopFlag.store(true, ordering: .relaxed)
                    break
                }
            }
        }
        // The audio up to the end of the last picture.
        for block in try mixer.mix(until: lastInstant.advanced(by: frameInterval)) { try writer.consume(audio: block) }
        stats.update { $0.audioClockError = mixer.largestClockError }
        return (firstFrameAt, fasterPreset)
    }

    /// What stopped the pipeline, in words an operator acts on.
    static func explain(_ error: Error, path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        if let error = error as? FFmpegError {
            switch -error.code {
            case ENOSPC: return "the disk is full (no space left in \(folder)); the file ends at its last whole fragment"
            case EFBIG: return "the file reached the largest size allowed (\(error)); the file ends at its last whole fragment"
            case EIO: return "the disk failed to write (\(error)); the file ends at its last whole fragment"
            default: break
            }
        }
        return "capture or encoding failed: \(error)"
    }
}

/// What the pipeline is doing, for status: updated by the output thread, read by the daemon.
final class PipelineStats: Sendable {
    struct Snapshot: Sendable {
        var encoder = ""
        var layout = ""
        var framesEncoded = 0
        /// Frames not recorded, by why.
        var framesDropped: [String: Int] = [:]
        /// How many times faster than real time frames are composed and encoded (1 or more keeps up).
        var realTimeFactor = 0.0
        /// How far the audio sources were from the picture's clock, in seconds.
        var audioClockError = 0.0
    }

    private let state = Mutex(Snapshot())
    var snapshot: Snapshot { state.withLock { $0 } }
    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }
}

/// The instant of the last frame written, shared between the pipeline thread and the watchdog.
final class ProgressMark: Sendable {
    private let nanoseconds: Atomic<Int64>

    init(_ start: MonotonicInstant) { nanoseconds = Atomic(start.nanoseconds) }

    var last: MonotonicInstant { MonotonicInstant(nanoseconds: nanoseconds.load(ordering: .relaxed)) }

    func mark() { nanoseconds.store(MonotonicInstant.now().nanoseconds, ordering: .relaxed) }
}
