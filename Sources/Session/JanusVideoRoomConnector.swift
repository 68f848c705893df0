import Foundation
import Logging
import RecorderCore
import Synchronization

/// Joins a Janus VideoRoom on stage (as a publisher, with the room's name) through Janus's HTTP API, follows who
/// else publishes there (`publishers`, `unpublished`, `leaving`, `talking`), keeps the session alive, and joins
/// again with back-off when the server or the network goes away.
public final class JanusVideoRoomConnector: SessionConnector {
    /// Where and as whom to join.
    public struct Settings: Sendable {
        /// Janus's HTTP API, such as `http://127.0.0.1:8088/janus`.
        public var url: URL
        public var room: UInt64
        public var pin: String?
        /// Janus's API token, when the server uses token authentication.
        public var token: String?
        /// The name the room joins with.
        public var display: String
        /// Display names that are the session's host, and its moderators.
        public var hosts: Set<String>
        public var moderators: Set<String>
        /// Back-off between attempts to join again.
        public var retry = RetryPolicy(base: 1, maximum: 30)
        /// Seconds between keep-alives (Janus ends a session silent for 60 s).
        public var keepaliveInterval: Double = 25

        public init(url: URL, room: UInt64, pin: String? = nil, token: String? = nil, display: String,
                    hosts: Set<String> = [], moderators: Set<String> = []) {
            self.url = url
            self.room = room
            self.pin = pin
            self.token = token
            self.display = display
            self.hosts = hosts
            self.moderators = moderators
        }
    }

    static let plugin = "janus.plugin.videoroom"

    private let settings: Settings
    private let client: JanusClient
    private let logger: Logger
    /// The session and handle while joined.
    private let joined = Mutex<(session: UInt64, handle: UInt64)?>(nil)

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.client = JanusClient(base: settings.url, token: settings.token)
        self.logger = logger
    }

    public func run(report: @escaping @Sendable (SessionEvent) -> Void) async {
        var failures = 0
        let joinedAgain = JoinFlag()
        let reportAndNote: @Sendable (SessionEvent) -> Void = { event in
            if case .joined = event { joinedAgain.set() }
            report(event)
        }
        while !Task.isCancelled {
            report(.connecting(attempt: failures + 1))
            do {
                try await stay(report: reportAndNote)
            } catch {
                if Task.isCancelled { break }
                // A session that was joined and then dropped starts the back-off again from the shortest delay.
                if joinedAgain.take() { failures = 0 }
                failures += 1
                let delay = settings.retry.delay(afterFailures: failures)
                report(.disconnected(reason: "\(error)", retryIn: delay))
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    public func announceRecording(_ recording: Bool) async {
        guard let (session, handle) = joined.withLock({ $0 }) else { return }
        let display = recording ? "\(settings.display) (recording)" : settings.display
        do {
            try await client.message(session: session, handle: handle, body: ["request": "configure", "display": display])
        } catch {
            logger.warning("could not tell the session the room is recording", metadata: ["error": "\(error)"])
        }
    }

    /// Joins, then follows the room until the connection fails (it throws) or the task is cancelled.
    private func stay(report: @escaping @Sendable (SessionEvent) -> Void) async throws {
        let session = try await client.createSession()
        let handle: UInt64
        do {
            handle = try await client.attach(session: session, plugin: Self.plugin)
            var join: [String: any Sendable] = ["request": "join", "ptype": "publisher", "room": settings.room, "display": settings.display]
            if let pin = settings.pin { join["pin"] = pin }
            try await client.message(session: session, handle: handle, body: join)
        } catch {
            try? await client.destroy(session: session)
            throw error
        }
        joined.withLock { $0 = (session, handle) }
        defer { joined.withLock { $0 = nil } }
        let client = self.client
        let interval = settings.keepaliveInterval
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(interval))
                        try await client.keepalive(session: session)
                    }
                }
                group.addTask { try await self.follow(session: session, report: report) }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            if Task.isCancelled {
                // Leaving: end the session from outside the cancelled task, so the request is still sent and the
                // others see the room leave at once rather than when Janus times the session out.
                await Task { try? await client.destroy(session: session) }.value
            }
            throw error
        }
    }

    /// Reads the session's events until one ends it.
    private func follow(session: UInt64, report: @Sendable (SessionEvent) -> Void) async throws {
        while true {
            for message in try await client.poll(session: session) {
                switch message.janus {
                case "timeout": throw JanusError("Janus ended the session (it heard nothing from us for too long)")
                case "event":
                    guard let data = message.plugindata?.data else { continue }
                    if let reason = data.error { throw JanusError("VideoRoom: \(reason) (error \(data.errorCode ?? 0))") }
                    switch data.videoroom {
                    case "joined":
                        logger.info("joined the session", metadata: ["room": "\(settings.room)", "id": "\(data.id ?? 0)"])
                        report(.joined(participants: (data.publishers ?? []).map(participant)))
                    case "event":
                        for publisher in data.publishers ?? [] { report(.participantUpdated(participant(publisher))) }
                        if case .id(let id)? = data.unpublished { report(.participantLeft(id: "\(id)")) }
                        if case .id(let id)? = data.leaving { report(.participantLeft(id: "\(id)")) }
                    case "talking", "stopped-talking":
                        if let id = data.id { report(.talking(id: "\(id)", data.videoroom == "talking")) }
                    case "destroyed":
                        throw JanusError("the room \(settings.room) was destroyed")
                    default: continue
                    }
                default: continue
                }
            }
        }
    }

    /// A publisher as a participant: its role from the configured names, its audio and video streams.
    private func participant(_ publisher: JanusPublisher) -> SessionParticipant {
        let display = publisher.display ?? "\(publisher.id)"
        let role: SessionParticipant.Role = settings.hosts.contains(display) ? .host : settings.moderators.contains(display) ? .moderator : .participant
        let tracks = (publisher.streams ?? []).enumerated().compactMap { index, stream -> SessionTrack? in
            guard stream.disabled != true, let kind = SessionTrack.Kind(rawValue: stream.type) else { return nil }
            return SessionTrack(id: stream.mid ?? "\(index)", kind: kind, codec: stream.codec ?? "",
                                isScreen: stream.description?.lowercased().contains("screen") ?? false)
        }
        return SessionParticipant(id: "\(publisher.id)", display: display, role: role, tracks: tracks, talking: publisher.talking ?? false)
    }
}

/// Whether the connector joined since the last time it was asked.
private final class JoinFlag: Sendable {
    private let joined = Atomic(false)
    func set() { joined.store(true, ordering: .relaxed) }
    func take() -> Bool { joined.exchange(false, ordering: .relaxed) }
}
