import Capture
import Foundation
import Media
import RecorderCore
import Synchronization

/// Records `seconds` of the synthetic stage into a fragmented MP4 at `path`, as the pipeline does; returns what
/// the writer says it wrote, and the error that stopped it early, if any.
@discardableResult
public func recordSyntheticStage(seconds: Double, to path: String, preset: String = "ultrafast") throws -> (summary: RecordingWriter.Summary, failure: Error?) {
    let origin = MonotonicInstant.now()
    let writer = try RecordingWriter(path: path, origin: origin, video: VideoEncoderSettings(preset: preset), audio: AudioEncoderSettings())
    let stop = Atomic(false)
    let stopper = Thread {
        Thread.sleep(forTimeInterval: seconds)
        stop.store(true, ordering: .relaxed)
    }
    stopper.start()
    var failure: Error?
    do {
        try SyntheticStageSource().run(into: writer, origin: origin, audioFrameSize: writer.audioFrameSize, stop: stop)
    } catch {
        failure = error
        stop.store(true, ordering: .relaxed)
    }
    let finished = try writer.finish()
    return (finished.summary, failure ?? finished.failure)
}
