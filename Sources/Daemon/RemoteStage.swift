import Foundation
import Logging
import Media
import RecorderCore

/// What the session's participants send, on its way to the recording: each track decoded by its own
/// ``RemoteTrackDecoder`` as frames arrive (so a recording that starts gets pictures at once, not at the next
/// keyframe), and delivered to the recording in progress, if there is one.
final class RemoteStage: @unchecked Sendable {
    private let lock = NSLock()
    private var decoders: [String: RemoteTrackDecoder] = [:]
    private var pipeline: RecordingPipeline?
    private var failedCodecs: Set<String> = []
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Frames go to `pipeline` from now on (nil: to no recording).
    func attach(_ pipeline: RecordingPipeline?) {
        lock.withLock { self.pipeline = pipeline }
    }

    /// A participant left: its decoders go.
    func forget(_ participantID: String) {
        lock.withLock { decoders = decoders.filter { !$0.key.hasPrefix("\(participantID)/") } }
    }

    /// One encoded frame from the session (on the transport's threads; one thread per track).
    func deliver(_ frame: RemoteMediaFrame) {
        let key = "\(frame.participantID)/\(frame.kind.rawValue)"
        let (decoder, pipeline): (RemoteTrackDecoder?, RecordingPipeline?) = lock.withLock {
            if let decoder = decoders[key], decoder.codec == frame.codec { return (decoder, self.pipeline) }
            guard !failedCodecs.contains(frame.codec) else { return (nil, nil) }
            do {
                let decoder = try RemoteTrackDecoder(codec: frame.codec)
                decoders[key] = decoder
                return (decoder, self.pipeline)
            } catch {
                failedCodecs.insert(frame.codec)
                logger.error("a participant's track cannot be decoded", metadata: ["codec": "\(frame.codec)", "error": "\(error)"])
                return (nil, nil)
            }
        }
        // One thread per track, and one decoder per track: decoding needs no lock.
        guard let decoder, let pictures = try? decoder.decode(frame.data, arrivedAt: frame.arrivedAt) else { return }
        for picture in pictures { pipeline?.deliverParticipant(picture, from: frame.participantID, kind: frame.kind) }
    }
}
