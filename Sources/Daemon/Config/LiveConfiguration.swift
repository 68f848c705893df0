import RecorderCore
import Synchronization

/// The configuration in force, shared by the daemon's collaborators. A reload replaces the parts that may change
/// while running (``ConfigurationReload``); each collaborator reads what it needs when it needs it, so a
/// recording in progress keeps what it started with and the next one takes the new values.
final class LiveConfiguration: Sendable {
    private let state: Mutex<RoomRecorderConfig>

    init(_ config: RoomRecorderConfig) { state = Mutex(config) }

    var current: RoomRecorderConfig { state.withLock { $0 } }

    func update(_ change: (inout RoomRecorderConfig) -> Void) { state.withLock { change(&$0) } }

    /// Sleeps `seconds`, or less when a reload changes `[schedule]` or `[opencast]`: a poller waits for its next
    /// poll this way, so a feed added by a reload is read at once, not at the end of the old interval.
    func pause(_ seconds: Double) async {
        let (schedule, opencast) = (current.schedule, current.opencast)
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end, !Task.isCancelled, current.schedule == schedule, current.opencast == opencast {
            try? await Task.sleep(for: min(.seconds(1), end - ContinuousClock.now))
        }
    }
}
