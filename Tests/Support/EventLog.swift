import ControlClient
import ControlContract
import Foundation
import RecorderCore

/// Follows a daemon's `GET /v1/events` from the moment it is made and keeps every event, for tests to read.
public final class EventLog: Sendable {
    private actor Events {
        var all: [ControlEvent] = []
        func add(_ event: ControlEvent) { all.append(event) }
    }

    private let events = Events()
    private let follower: Task<Void, Never>

    public init(_ client: ControlClient) {
        let events = self.events
        follower = Task {
            _ = try? await client.follow("/v1/events") { event in
                if let parsed = try? ControlJSON.decoder().decode(ControlEvent.self, from: Data(event.data.utf8)) { await events.add(parsed) }
                return true
            }
        }
    }

    deinit { follower.cancel() }

    /// The events so far, in order.
    public var all: [ControlEvent] { get async { await events.all } }

    /// Their messages.
    public var messages: [String] { get async { await events.all.compactMap(\.message) } }
}
