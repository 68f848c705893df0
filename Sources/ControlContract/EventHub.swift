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
    }

    /// Increases by one per event since the daemon started (the SSE `id:`).
    public var id: Int
    public var type: Kind
    public var time: Date
    public var recording: Recording?
    public var upload: UploadJob?
    public var message: String?
}

/// Hands every published event to every current subscriber. A subscriber that falls far behind loses the
/// oldest events it has not read, never stalling the publisher.
public final class EventHub: Sendable {
    private struct State {
        var nextId = 1
        var subscribers: [UUID: AsyncStream<ControlEvent>.Continuation] = [:]
    }

    private let state = Mutex(State())
    private let bufferSize: Int

    public init(bufferSize: Int = 256) { self.bufferSize = bufferSize }

    /// A stream of the events published from now on; it ends when the subscriber stops reading.
    public func subscribe() -> AsyncStream<ControlEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ControlEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let key = UUID()
        state.withLock { $0.subscribers[key] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    public func publish(_ type: ControlEvent.Kind, recording: Recording? = nil, upload: UploadJob? = nil, message: String? = nil) {
        let (event, targets) = state.withLock { state -> (ControlEvent, [AsyncStream<ControlEvent>.Continuation]) in
            let event = ControlEvent(id: state.nextId, type: type, time: Date(), recording: recording, upload: upload, message: message)
            state.nextId += 1
            return (event, Array(state.subscribers.values))
        }
        for continuation in targets { continuation.yield(event) }
    }
}
