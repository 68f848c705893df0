import Capture
import Foundation
import Media
import RecorderCore
import Synchronization

/// Records `seconds` of the synthetic stage into a fragmented MP4 at `path`, as the pipeline does.
public func recordSyntheticStage(seconds: Double, to path: String, preset: String = "ultrafast") throws {
    let origin = MonotonicInstant.now()
    let writer = try RecordingWriter(path: path, origin: origin, video: VideoEncoderSettings(preset: preset), audio: AudioEncoderSettings())
    let stop = Atomic(false)
    let stopper = Thread {
        Thread.sleep(forTimeInterval: seconds)
        stop.store(true, ordering: .relaxed)
    }
    stopper.start()
    try SyntheticStageSource().run(into: writer, origin: origin, audioFrameSize: writer.audioFrameSize, stop: stop)
    try writer.finish()
}
