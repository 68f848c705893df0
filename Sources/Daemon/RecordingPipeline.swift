import Capture
import Foundation
import Media
import RecorderCore
import Synchronization

/// One recording's media path: the stage source feeding the encoders and the fragmented-MP4 writer, on a
/// thread of its own (capture and encoding block, so they stay off Swift's cooperative pool).
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
    }

    let workingPath: String
    let origin: MonotonicInstant
    let encoderNames: (video: String, audio: String)
    private let stopFlag = Atomic(false)
    /// When the last frame was written, for the watchdog.
    private let progress: ProgressMark
    private let parts: Mutex<Parts?>

    private struct Parts: @unchecked Sendable {
        var writer: RecordingWriter
        var source: SyntheticStageSource
    }

    /// Opens the encoders and the output file; throws if either cannot be opened, before anything runs.
    init(workingPath: String, video: VideoEncoderSettings, audio: AudioEncoderSettings) throws {
        self.workingPath = workingPath
        origin = .now()
        let writer = try RecordingWriter(path: workingPath, origin: origin, video: video, audio: audio)
        encoderNames = writer.encoderNames
        progress = ProgressMark(origin)
        parts = Mutex(Parts(writer: writer, source: SyntheticStageSource()))
    }

    /// Runs on a new thread until `stop()`, then finishes the file; returns how it ended.
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
        do {
            let sink = try ProgressSink(writer: taken.writer, progress: progress)
            defer { firstFrameAt = sink.firstFrameAt }
            try taken.source.run(into: sink, origin: origin, audioFrameSize: taken.writer.audioFrameSize, stop: stopFlag)
            try sink.drain()
        } catch {
            failure = Self.explain(error, path: workingPath)
        }
        var file: RecordingWriter.Summary?
        do {
            let finished = try taken.writer.finish()
            file = finished.summary
            if let error = finished.failure { failure = failure ?? Self.explain(error, path: workingPath) }
        } catch {
            failure = failure ?? "the file could not be finished: \(error)"
        }
        return Outcome(failure: failure, videoFrames: taken.writer.videoFrames,
                       droppedVideoFrames: taken.writer.droppedVideoFrames + taken.source.droppedVideoFrames,
                       file: file, firstFrameAt: firstFrameAt)
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

/// The instant of the last frame written, shared between the pipeline thread and the watchdog.
final class ProgressMark: Sendable {
    private let nanoseconds: Atomic<Int64>

    init(_ start: MonotonicInstant) { nanoseconds = Atomic(start.nanoseconds) }

    var last: MonotonicInstant { MonotonicInstant(nanoseconds: nanoseconds.load(ordering: .relaxed)) }

    func mark() { nanoseconds.store(MonotonicInstant.now().nanoseconds, ordering: .relaxed) }
}

/// Passes frames on to the writer and marks the progress of each; audio goes through the clock corrector
/// first, so a sound card running off the clock never drifts from the picture.
private final class ProgressSink: MediaSink {
    let writer: RecordingWriter
    let progress: ProgressMark
    private let corrector: AudioClockCorrector
    private(set) var firstFrameAt: MonotonicInstant?

    init(writer: RecordingWriter, progress: ProgressMark) throws {
        self.writer = writer
        self.progress = progress
        corrector = try AudioClockCorrector(frameSize: writer.audioFrameSize)
    }

    func consume(video frame: MediaFrame) throws {
        try writer.consume(video: frame)
        progress.mark()
        if firstFrameAt == nil { firstFrameAt = .now() }
    }

    func consume(audio frame: MediaFrame) throws {
        for corrected in try corrector.push(frame) { try writer.consume(audio: corrected) }
        progress.mark()
    }

    /// Passes on what the corrector still holds, at the end of the recording.
    func drain() throws {
        for corrected in try corrector.drain() { try writer.consume(audio: corrected) }
    }
}
