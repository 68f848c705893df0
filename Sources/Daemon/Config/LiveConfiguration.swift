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
}
