import Foundation
import RecorderCore
import Synchronization

/// Something that happened, as `GET /v1/events` streams it: a recording's state change, an upload's progress
/// or state, a warning.
public struct ControlEvent: Codable, Equatable, Sendable {
    /// What kind of event.
    public enum Kind: String, Codable, Sendable {
        case recording
        case upload
        case warning
        case config
        /// A camera or microphone appeared or went away.
        case device
        /// The online session: joined, dropped, someone came on stage or left, the host left or returned.
        case session
        /// The sources' sound levels, up to ten a second; only to subscribers that ask for them.
        case levels
        /// An alarm rose (`alarm`) or ended (`alarm` with `cleared`).
        case alarm
    }

    /// Increases by one per event since the daemon started (the SSE `id:`).
    public var id: Int
    public var type: Kind
    public var time: Date
    public var recording: Recording?
    public var upload: UploadJob?
    public var message: String?
    public var levels: [SourceLevel]?
    public var alarm: Alarm?
    /// For an `alarm` event: true when it ended.
    public var cleared: Bool?
}

/// Hands every published event to every current subscriber. A subscriber that falls far behind loses the
/// oldest events it has not read, never stalling the publisher.
public final class EventHub: Sendable {
    private struct Subscriber {
        var continuation: AsyncStream<ControlEvent>.Continuation
        /// The kinds it takes; nil: every kind but `levels`.
        var types: Set<ControlEvent.Kind>?

        func takes(_ kind: ControlEvent.Kind) -> Bool { types?.contains(kind) ?? (kind != .levels) }
    }

    private struct State {
        var nextId = 1
        var subscribers: [UUID: Subscriber] = [:]
    }

    private let state = Mutex(State())
    private let bufferSize: Int

    public init(bufferSize: Int = 256) { self.bufferSize = bufferSize }

    /// A stream of the events published from now on, of `types` (nil: every kind but `levels`, which come ten
    /// a second); it ends when the subscriber stops reading.
    public func subscribe(types: Set<ControlEvent.Kind>? = nil) -> AsyncStream<ControlEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ControlEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let key = UUID()
        state.withLock { $0.subscribers[key] = Subscriber(continuation: continuation, types: types) }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Whether anyone takes events of `kind` (the levels are not even gathered for nobody).
    public func isWanted(_ kind: ControlEvent.Kind) -> Bool { state.withLock { $0.subscribers.values.contains { $0.takes(kind) } } }

    public func publish(_ type: ControlEvent.Kind, recording: Recording? = nil, upload: UploadJob? = nil, message: String? = nil,
                        levels: [SourceLevel]? = nil, alarm: Alarm? = nil, cleared: Bool? = nil) {
        let (event, targets) = state.withLock { state -> (ControlEvent, [AsyncStream<ControlEvent>.Continuation]) in
            let event = ControlEvent(id: state.nextId, type: type, time: Date(), recording: recording, upload: upload, message: message,
                                     levels: levels, alarm: alarm, cleared: cleared)
            state.nextId += 1
            return (event, state.subscribers.values.filter { $0.takes(type) }.map(\.continuation))
        }
        for continuation in targets { continuation.yield(event) }
    }
}
