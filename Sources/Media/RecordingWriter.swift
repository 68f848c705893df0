import CFFmpeg
import DurableFiles
import Foundation
import RecorderCore

/// Encodes a recording's video (H.264) and audio (AAC-LC) and muxes them into a fragmented MP4 as they come.
///
/// Each keyframe starts a new fragment that is written out at once, and the file is fsync'd every couple of
/// seconds, so a crash or power loss leaves a playable file that ends at most a few seconds before it. The
/// fragmented MP4 is also the finished file (its empty `moov` comes first, an `mfra` index last), and its SHA-256
/// is computed while it is written, so finishing a recording of any length takes no pass over its bytes.
/// When a write fails (a full disk), the file is cut back to its last whole fragment and stays playable.
/// Timestamps come from each frame's capture instant relative to `origin`, the recording's start on the
/// monotonic clock, so a late or dropped video frame never shifts audio. Used from one thread.
public final class RecordingWriter: MediaSink {
    /// What a finished file holds.
    public struct Summary: Equatable, Sendable {
        /// Seconds of media: from the first sample to the end of the last, of the longer stream.
        public var duration: Double
        public var size: Int64
        /// Hex SHA-256 of the file, or nil when it has to be read to be known.
        public var sha256: String?
        /// Whether the file was cut back to its last whole fragment after a write failed.
        public var truncated: Bool
    }

    public let path: String
    private let origin: MonotonicInstant
    private let video: Encoder
    private let audio: Encoder
    private let file: HashedOutputFile
    private let output: OutputContainer
    private let videoStream: Int32
    private let audioStream: Int32
    private let packet: MediaPacket
    private var lastVideoPTS: Int64 = .min
    private var nextAudioPTS: Int64 = 0
    private let syncer: PeriodicFileSync
    /// One frame's duration in the video encoder's time base; libx264 leaves packet durations unset, and the
    /// muxer needs them for the last sample of each fragment.
    private let videoFrameDuration: Int64
    /// Video frames dropped because their timestamp did not move forward.
    public private(set) var droppedVideoFrames = 0
    public private(set) var videoFrames = 0
    /// Per stream, the first timestamp and the end of the last packet written, in seconds.
    private var spans: [Int32: (first: Double, end: Double)] = [:]

    /// Encoder names, e.g. "libx264 (veryfast)" and "aac (AAC-LC)".
    public var encoderNames: (video: String, audio: String) { (video.name, audio.name) }

    public init(path: String, origin: MonotonicInstant, video videoSettings: VideoEncoderSettings, audio audioSettings: AudioEncoderSettings) throws {
        self.path = path
        self.origin = origin
        video = try Encoder.h264(videoSettings)
        audio = try Encoder.aac(audioSettings)
        file = try HashedOutputFile(path: path)
        output = try OutputContainer(file: file, format: "mp4")
        videoStream = try output.addStream(for: video)
        audioStream = try output.addStream(for: audio)
        try output.writeHeader(options: [
            // A moov without samples up front, then self-contained moof+mdat fragments, each begun at a keyframe.
            "movflags": "+frag_keyframe+empty_moov+default_base_moof",
            "flush_packets": "1",
        ])
        file.markConsistent()
        packet = try MediaPacket()
        videoFrameDuration = 90_000 / Int64(videoSettings.framesPerSecond)
        syncer = try PeriodicFileSync(path: path, interval: 2)
        // The new file's directory entry must reach the disk too, or a power loss can lose the whole file.
        try FileSync.fsyncDirectory(at: (path as NSString).deletingLastPathComponent)
    }

    /// Samples per audio frame the AAC encoder takes.
    public var audioFrameSize: Int { audio.frameSize }

    public func consume(video frame: MediaFrame) throws {
        let pts = Int64((frame.capturedAt.seconds(since: origin) * 90_000).rounded())
        guard pts > lastVideoPTS, pts >= 0 else {
            droppedVideoFrames += 1
            return
        }
        lastVideoPTS = pts
        frame.pointer.pointee.pts = pts
        frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
        try video.send(frame)
        videoFrames += 1
        try drain(video, stream: videoStream, frameDuration: videoFrameDuration)
    }

    public func consume(audio frame: MediaFrame) throws {
        let pts = Int64((frame.capturedAt.seconds(since: origin) * Double(audio.context.pointee.sample_rate)).rounded())
        // Keep AAC's timeline gap-free: a frame that would overlap the previous one is placed right after it.
        frame.pointer.pointee.pts = max(pts, nextAudioPTS)
        nextAudioPTS = frame.pointer.pointee.pts + Int64(frame.sampleCount)
        try audio.send(frame)
        try drain(audio, stream: audioStream)
    }

    /// Flushes both encoders, writes the last fragment and the trailer, and syncs the file to disk. Whatever
    /// fails on the way, the file is still closed and synced: what was written stays playable. Throws only when
    /// the file itself could not be made whole; an encoder's failure after the file is safe is in `failure`.
    public func finish() throws -> (summary: Summary, failure: Error?) {
        defer { syncer.stop() }
        var firstError: Error?
        do {
            try video.send(nil)
            try drain(video, stream: videoStream, frameDuration: videoFrameDuration)
        } catch { firstError = error }
        do {
            try audio.send(nil)
            try drain(audio, stream: audioStream)
        } catch { firstError = firstError ?? error }
        file.beginTrailer()
        do { try output.finish() } catch { firstError = firstError ?? error }
        let truncated = file.writeError != nil
        if truncated { try file.rollBack() }
        try FileSync.fsyncFile(at: path)
        let duration = truncated ? try InputContainer(path: path).durationSeconds
            : spans.values.map { $0.end - $0.first }.max() ?? 0
        return (Summary(duration: duration, size: file.size, sha256: file.sha256, truncated: truncated), firstError)
    }

    private func drain(_ encoder: Encoder, stream: Int32, frameDuration: Int64 = 0) throws(FFmpegError) {
        try encoder.drain(into: packet) { (packet) throws(FFmpegError) in
            if packet.pointer.pointee.duration == 0 { packet.pointer.pointee.duration = frameDuration }
            let timeBase = encoder.timeBase
            let start = Double(packet.pointer.pointee.pts) * Double(timeBase.num) / Double(timeBase.den)
            let end = start + Double(packet.pointer.pointee.duration) * Double(timeBase.num) / Double(timeBase.den)
            try output.write(packet, stream: stream, from: timeBase)
            if let error = file.markConsistent() { throw FFmpegError(code: rr_averror(error), operation: "write(\(path))") }
            let span = spans[stream] ?? (start, end)
            spans[stream] = (min(span.first, start), max(span.end, end))
        }
        syncer.poke()
    }
}

/// Syncs a growing file to disk at most every `interval` seconds, on a background queue, so a slow disk never
/// stalls the encoder. fsync flushes the file whichever descriptor wrote it, so a read-only one is enough.
final class PeriodicFileSync: @unchecked Sendable {
    private let fd: Int32
    private let interval: Double
    private let queue = DispatchQueue(label: "roomrec.filesync")
    private var last = MonotonicInstant.now()
    private var pending = false
    private var stopped = false
    private let lock = NSLock()

    init(path: String, interval: Double) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSync.Failure(operation: "open", path: path, code: errno) }
        self.interval = interval
    }

    /// Schedules a sync if the last one is `interval` seconds old.
    func poke() {
        let now = MonotonicInstant.now()
        lock.lock()
        defer { lock.unlock() }
        guard !pending, !stopped, now.seconds(since: last) >= interval else { return }
        pending = true
        last = now
        queue.async { [self] in
            _ = fdatasync(fd)
            lock.lock()
            pending = false
            lock.unlock()
        }
    }

    /// Waits for a sync under way, then closes the descriptor (once).
    func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        queue.sync { _ = close(fd) }
    }

    deinit { stop() }
}
