import RecorderCore
import Synchronization

/// The encode feeding a publication, once the server answered (Janus, a WHIP endpoint). GStreamer's threads read
/// it for the receivers' feedback (they are not the owner's loop, hence the lock), and the side work that starts
/// the encode hands it over here, where it is refused once the publication has ended.
final class FeedSlot: Sendable {
    private let state = Mutex<(feed: (any RoomMediaFeed)?, closed: Bool)>((nil, false))

    var current: (any RoomMediaFeed)? { state.withLock { $0.feed } }

    /// Hands the encode over; false if the publication ended meanwhile (the caller stops the encode).
    func set(_ feed: any RoomMediaFeed) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.feed = feed
            return true
        }
    }

    /// Takes no encode from now on; returns the one there was, to stop.
    func close() -> (any RoomMediaFeed)? {
        state.withLock { state in
            state.closed = true
            defer { state.feed = nil }
            return state.feed
        }
    }
}
