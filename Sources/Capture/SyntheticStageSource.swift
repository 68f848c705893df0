import Foundation
import Media
import RecorderCore
import Synchronization

/// A stand-in for a room's camera and microphone: a moving 1920×1080 30 fps test pattern with the wall-clock
/// time and frame number burned in, and a 48 kHz stereo tone with a 50 ms beep once a second. The first frame
/// of every second is white and its beep starts on the same instant, so a test can measure A/V sync.
///
/// Frames are produced in real time on the caller's thread and stamped with their ideal capture instants
/// (`origin + n / fps`). Like a camera with a ring of eight buffers, it rides out a short stall; a frame more than
/// eight frame intervals late is dropped, as the camera would drop it, so a slow encoder never stretches the
/// timeline.
public final class SyntheticStageSource: Sendable {
    /// What the synthetic stage looks and sounds like.
    public struct Settings: Sendable {
        public var width = 1920
        public var height = 1080
        public var framesPerSecond = 30
        public var sampleRate = 48_000
        public var toneHz = 440.0
        public var beepHz = 1000.0
        public var beepSeconds = 0.05
        public var fontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
        /// Whether it plays the room's sound (false when a real microphone is configured).
        public var withAudio = true
        /// Whether it shows the room's picture (false when a real camera is configured).
        public var withVideo = true

        public init() {}
    }

    public let settings: Settings
    /// Video frames dropped because they were due more than ``bufferedFrames`` intervals ago (read from any
    /// thread while it runs).
    public var droppedVideoFrames: Int { dropped.load(ordering: .relaxed) }
    private let dropped = Atomic(0)
    /// How many frames late a frame may be before it is dropped (a UVC camera's usual buffer ring).
    public static let bufferedFrames = 8

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// The libavfilter graph that draws the stage.
    var filterDescription: String {
        let font = FileManager.default.fileExists(atPath: settings.fontFile) ? "fontfile=\(settings.fontFile):" : ""
        return [
            "testsrc2=size=\(settings.width)x\(settings.height):rate=\(settings.framesPerSecond)",
            "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n,\(settings.framesPerSecond)),0)'",
            "drawtext=\(font)text='%{localtime}  frame %{frame_num}':fontsize=56:fontcolor=white"
                + ":box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h-th-60",
            "format=yuv420p",
        ].joined(separator: ",")
    }

    /// Produces frames into `sink` from `origin` until `stop` is set; `audioFrameSize` is the encoder's frame size.
    public func run(into sink: MediaSink, origin: MonotonicInstant, audioFrameSize: Int, stop: borrowing Atomic<Bool>) throws {
        guard settings.withVideo || settings.withAudio else { return }
        let pictures = try FilterGraphSource(description: filterDescription)
        let frameInterval = 1.0 / Double(settings.framesPerSecond)
        let audioInterval = Double(audioFrameSize) / Double(settings.sampleRate)
        var videoIndex: Int64 = 0
        var audioIndex: Int64 = 0
        while !stop.load(ordering: .relaxed) {
            let videoDue = origin.advanced(by: Double(videoIndex) * frameInterval)
            let audioDue = origin.advanced(by: Double(audioIndex) * audioInterval)
            let due = !settings.withAudio ? videoDue : !settings.withVideo ? audioDue : min(videoDue, audioDue)
            MonotonicInstant.sleep(until: due)
            if settings.withVideo && (videoDue <= audioDue || !settings.withAudio) {
                let frame = try pictures.nextFrame(capturedAt: videoDue)
                if MonotonicInstant.now().seconds(since: videoDue) > Double(Self.bufferedFrames) * frameInterval {
                    dropped.add(1, ordering: .relaxed)
                } else {
                    try sink.consume(video: frame)
                }
                videoIndex += 1
            } else {
                let frame = try MediaFrame.audio(samples: audioFrameSize, sampleRate: settings.sampleRate, capturedAt: audioDue)
                fillAudio(frame, firstSample: audioIndex * Int64(audioFrameSize))
                try sink.consume(audio: frame)
                audioIndex += 1
            }
        }
    }

    /// The tone, with the beep during the first `beepSeconds` of every second; the same on both channels.
    func fillAudio(_ frame: MediaFrame, firstSample: Int64) {
        let rate = Int64(settings.sampleRate)
        let beepSamples = Int64(settings.beepSeconds * Double(rate))
        frame.withChannel(0) { left in
            for i in 0..<left.count {
                let n = firstSample + Int64(i)
                let t = Double(n % rate) / Double(rate)
                var sample = 0.1 * sin(2 * .pi * settings.toneHz * t)
                if n % rate < beepSamples { sample += 0.5 * sin(2 * .pi * settings.beepHz * t) }
                left[i] = Float(sample)
            }
            frame.withChannel(1) { right in
                for i in 0..<right.count { right[i] = left[i] }
            }
        }
    }
}
