import ControlContract
import Foundation
import Logging
import Media
import RecorderCore

/// The participants on the recording's stage, and what they send on its way to it: the one path from the session
/// to the recording. A participant admitted here is a tile and a voice of the recording in progress (and of each
/// one attached later); each track is decoded by its own ``RemoteTrackDecoder`` as frames arrive (so a recording
/// that starts gets pictures at once, not at the next keyframe).
final class RemoteStage: @unchecked Sendable {
    private let lock = NSLock()
    private var decoders: [String: LockedDecoder] = [:]
    /// The participants on stage: frames of anyone else (a reader thread finishing after its participant left)
    /// are dropped, so nothing of theirs comes back.
    private var present: Set<String> = []
    /// Who is on stage and what they send, to put them on each recording attached.
    private var participants: [String: SessionParticipant] = [:]
    /// Who talks: the speaker layout's active speaker.
    private var speaker: String?
    /// For each participant sharing a screen beside its camera, the screen's track: its pictures go to the
    /// participant's content tile.
    private var screens: [String: String] = [:]
    private var pipeline: RecordingPipeline?
    private var failedCodecs: Set<String> = []
    private var tracks: [String: TrackCount] = [:]
    /// For each participant and kind (and for its shared screen), the track that is shown or heard and when its
    /// last frame came. A participant's further tracks of a kind (a second camera; a screen its session does not
    /// call one) are counted but not put on its tile, which would flicker between them; a track silent for a
    /// second hands over.
    private var shown: [String: (track: String, last: MonotonicInstant)] = [:]

    /// What one track delivered: counted as frames arrive, its rate over windows of two seconds or more.
    private struct TrackCount {
        var participantID: String
        var kind: SessionTrack.Kind
        var codec: String
        var frames = 0
        var last: MonotonicInstant
        var windowStart: MonotonicInstant
        var windowBytes = 0
        var kbps = 0.0
    }
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The stage is `pipeline`'s from now on (nil: no recording): everyone on stage gets a tile and a voice in it.
    func attach(_ pipeline: RecordingPipeline?) {
        lock.withLock {
            self.pipeline = pipeline
            guard let pipeline else { return }
            for participant in participants.values { Self.putOnStage(participant, pipeline) }
            pipeline.setSpeaker(speaker)
        }
    }

    /// A participant came on stage, or changed what it sends: its frames are taken from now on, and the recording
    /// shows it.
    func admit(_ participant: SessionParticipant) {
        lock.withLock {
            present.insert(participant.id)
            participants[participant.id] = participant
            screens[participant.id] = participant.sharedScreen?.id
            if let pipeline { Self.putOnStage(participant, pipeline) }
        }
    }

    /// Who talks now (nil: nobody).
    func setSpeaker(_ participantID: String?) {
        lock.withLock {
            speaker = participantID
            pipeline?.setSpeaker(participantID)
        }
    }

    /// A participant left: off the recording's stage, its decoders and counts go, and its frames are no longer
    /// taken.
    func forget(_ participantID: String) {
        lock.withLock {
            if let participant = participants.removeValue(forKey: participantID) {
                pipeline?.removeParticipant(participant.id)
                pipeline?.removeParticipant(participant.screenSourceID)
            }
            present.remove(participantID)
            screens[participantID] = nil
            decoders = decoders.filter { !$0.key.hasPrefix("\(participantID)/") }
            tracks = tracks.filter { !$0.key.hasPrefix("\(participantID)/") }
            shown = shown.filter { !$0.key.hasPrefix("\(participantID)/") }
        }
    }

    /// A participant's place on the recording's stage: its tile (content when a screen is all it sends) and its
    /// voice; a screen shared beside its camera as a content tile of its own, while it shares.
    private static func putOnStage(_ participant: SessionParticipant, _ pipeline: RecordingPipeline) {
        pipeline.addParticipant(participant.id, screen: participant.isScreenOnly)
        if participant.sharedScreen != nil {
            pipeline.addParticipant(participant.screenSourceID, screen: true, voice: false)
        } else {
            pipeline.removeParticipant(participant.screenSourceID)
        }
    }

    /// What arrives from each track now.
    func received(now: MonotonicInstant = .now()) -> [ReceivedTrack] {
        lock.withLock {
            tracks.values.sorted { ($0.participantID, $0.kind.rawValue) < ($1.participantID, $1.kind.rawValue) }.map {
                // Until a first window of two seconds is complete, the rate so far.
                let sofar = now.seconds(since: $0.windowStart)
                let kbps = $0.kbps > 0 || sofar < 0.5 ? $0.kbps : Double($0.windowBytes) * 8 / 1000 / sofar
                return ReceivedTrack(participantId: $0.participantID, kind: $0.kind, codec: $0.codec, frames: $0.frames,
                                     kbps: (kbps * 10).rounded() / 10, silentSeconds: (now.seconds(since: $0.last) * 10).rounded() / 10)
            }
        }
    }

    /// One encoded frame from the session (on the transport's threads; one thread per track).
    func deliver(_ frame: RemoteMediaFrame) {
        let kindKey = "\(frame.participantID)/\(frame.kind.rawValue)"
        let key = "\(kindKey)/\(frame.track)"
        let (decoder, pipeline, stageID): (LockedDecoder?, RecordingPipeline?, String) = lock.withLock {
            guard present.contains(frame.participantID) else { return (nil, nil, "") }
            // A screen shared beside the camera has a tile of its own, and its own choice of track.
            let isScreen = frame.kind == .video && screens[frame.participantID] == frame.track
            let stageID = isScreen ? "\(frame.participantID)#screen" : frame.participantID
            let shownKey = isScreen ? "\(kindKey)/screen" : kindKey
            var count = tracks[kindKey] ?? TrackCount(participantID: frame.participantID, kind: frame.kind, codec: frame.codec,
                                                      last: frame.arrivedAt, windowStart: frame.arrivedAt)
            count.frames += 1
            count.last = frame.arrivedAt
            count.windowBytes += frame.data.count
            let window = frame.arrivedAt.seconds(since: count.windowStart)
            if window >= 2 {
                count.kbps = Double(count.windowBytes) * 8 / 1000 / window
                count.windowStart = frame.arrivedAt
                count.windowBytes = 0
            }
            tracks[kindKey] = count
            if let current = shown[shownKey], current.track != frame.track, frame.arrivedAt.seconds(since: current.last) < 1 { return (nil, nil, "") }
            shown[shownKey] = (frame.track, frame.arrivedAt)
            if let decoder = decoders[key], decoder.decoder.codec == frame.codec { return (decoder, self.pipeline, stageID) }
            guard !failedCodecs.contains(frame.codec) else { return (nil, nil, "") }
            do {
                let decoder = LockedDecoder(try RemoteTrackDecoder(codec: frame.codec))
                decoders[key] = decoder
                return (decoder, self.pipeline, stageID)
            } catch {
                failedCodecs.insert(frame.codec)
                logger.error("a participant's track cannot be decoded", metadata: ["codec": "\(frame.codec)", "error": "\(error)"])
                return (nil, nil, "")
            }
        }
        // One decoder per track, with a lock of its own: a track's old reader may still be finishing while a new
        // connection's starts.
        guard let decoder, let pictures = decoder.decode(frame.data, arrivedAt: frame.arrivedAt) else { return }
        for picture in pictures { pipeline?.deliverParticipant(picture, from: stageID, kind: frame.kind) }
    }

    /// A track's decoder, used by one thread at a time.
    private final class LockedDecoder: @unchecked Sendable {
        let decoder: RemoteTrackDecoder
        private let lock = NSLock()

        init(_ decoder: RemoteTrackDecoder) { self.decoder = decoder }

        func decode(_ bytes: [UInt8], arrivedAt: MonotonicInstant) -> [MediaFrame]? {
            lock.withLock { try? decoder.decode(bytes, arrivedAt: arrivedAt) }
        }
    }
}
