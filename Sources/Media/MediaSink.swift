/// Where a stage source delivers its frames, each stamped with its capture instant on the monotonic clock.
/// Called from the source's thread only.
public protocol MediaSink: AnyObject {
    func consume(video frame: MediaFrame) throws
    func consume(audio frame: MediaFrame) throws
}
