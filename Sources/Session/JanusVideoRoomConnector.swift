import DurableFiles
import Foundation
import Logging
import RecorderCore
import Synchronization

/// Joins a Janus VideoRoom on stage (as a publisher, with the room's name) through Janus's HTTP API, publishes
/// the room's camera and microphone, follows who else publishes there (`publishers`, `unpublished`, `leaving`,
/// `talking`) and receives them, keeps the session alive, and joins again with back-off when the server or the
/// network goes away. While joined, one ``JanusSession`` owns everything in the session, in one loop.
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
        /// The local addresses ICE may use to receive media (empty: every interface).
        public var iceAddresses: [String] = []

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
    /// What other tasks hand in and read without waiting for the owner's loop; everything else in a session is
    /// the loop's.
    private let shared: Mutex<Shared>

    private struct Shared {
        /// Whether the room records, as last announced: a join made later says it in its name.
        var recording = false
        /// The VideoRoom to join: the configured one, or the room it was moved to (a breakout).
        var room: UInt64
        /// A move not reported yet: the run loop reports it before it joins the new room.
        var moveToReport = false
        /// The owner's inbox, while joined.
        var inbox: AsyncStream<JanusSession.Input>.Continuation?
        /// The receivers' numbers as the owner last read them. `reception()` is synchronous in the protocol (status
        /// calls it), so the owner publishes a copy here rather than being asked and awaited.
        var reception: [TrackReception] = []
    }

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.client = JanusClient(base: settings.url, token: settings.token)
        self.logger = logger
        shared = Mutex(Shared(room: settings.room))
    }

    /// Leaves the room and joins VideoRoom `room` (its number) in the same Janus: the session ends, and the run
    /// loop joins the new room at once, without back-off. The configured room's PIN is for that room only.
    public func move(to room: String) throws(SessionMoveRefused) {
        guard let number = UInt64(room), number > 0 else { throw SessionMoveRefused("a Janus VideoRoom is a number, such as 5678; got \"\(room)\"") }
        shared.withLock { shared in
            shared.room = number
            shared.moveToReport = true
            shared.inbox?.yield(.moved)
        }
    }

    public func reception() -> [TrackReception] { shared.withLock { $0.reception } }

    /// Keeps the state for joins to come and tells the owner, if joined: its loop reads the state when it takes the
    /// news, tells the data channel and asks Janus for the name. It does not wait for Janus.
    public func announceRecording(_ recording: Bool) async {
        shared.withLock { shared in
            shared.recording = recording
            shared.inbox?.yield(.recordingChanged)
        }
    }

    public func run(publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
                    media: @escaping @Sendable (RemoteMediaFrame) -> Void) async {
        // GStreamer's first start reads its plugin registry, which may take a while: not on the owner's loop.
        _ = try? await BlockingIO.run { try GStreamer.initialize() }
        var failures = 0
        // Ending a session that failed is side work of the whole run: the rejoin does not wait for it.
        await withDiscardingTaskGroup { endings in
            while !Task.isCancelled {
                report(.connecting(attempt: failures + 1))
                let (error, joined) = await stay(publishing: local, report: report, media: media, endings: &endings)
                if Task.isCancelled { break }
                if error is JanusRoomChange {
                    failures = 0
                    continue
                }
                // A session that was joined and then dropped starts the back-off again from the shortest delay.
                if joined { failures = 0 }
                failures += 1
                let delay = settings.retry.delay(afterFailures: failures)
                report(.disconnected(reason: "\(error)", retryIn: delay))
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Joins, then follows the room until the session fails or the task is cancelled; returns why it ended, and
    /// whether Janus had said `joined`.
    private func stay(publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
                      media: @escaping @Sendable (RemoteMediaFrame) -> Void, endings: inout DiscardingTaskGroup) async -> (error: any Error, joined: Bool) {
        // A stream per join: nothing said in one session (a late answer, a child cancelled) reaches the next.
        let (inputs, inbox) = AsyncStream.makeStream(of: JanusSession.Input.self)
        // The inbox is in place before the state is read for the name and the room: a change after it is an input.
        // A move asked while joined ended that session, one asked while away takes effect here: either way it is
        // reported with the room read in the same lock, before the join.
        let (recording, room, moved) = shared.withLock { shared in
            shared.inbox = inbox
            defer { shared.moveToReport = false }
            return (shared.recording, shared.room, shared.moveToReport)
        }
        if moved { report(.moved(room: "\(room)", breakout: room != self.settings.room)) }
        var settings = self.settings
        if room != settings.room {
            settings.room = room
            settings.pin = nil
        }
        defer {
            shared.withLock { shared in
                shared.inbox = nil
                shared.reception = []
            }
            inbox.finish()
        }
        let join: JanusJoin
        do {
            join = try await self.join(settings, recording: recording, inbox: inbox)
        } catch {
            return (error, false)
        }
        var session = JanusSession(join: join, recording: recording, publishing: local, report: report, media: media,
                                   announced: { self.shared.withLock { $0.recording } },
                                   publishReception: { readings in self.shared.withLock { $0.reception = readings } })
        let ending: any Error
        do {
            try await session.follow(inputs)
            ending = CancellationError()
        } catch {
            ending = error
        }
        await end(join.session, endings: &endings)
        return (ending, session.joined)
    }

    /// Creates a session, attaches to the VideoRoom and joins it on stage, with the room's name as it is now.
    private func join(_ settings: Settings, recording: Bool, inbox: AsyncStream<JanusSession.Input>.Continuation) async throws -> JanusJoin {
        let session = try await client.createSession()
        do {
            let handle = try await client.attach(session: session, plugin: Self.plugin)
            var join: [String: any Sendable] = ["request": "join", "ptype": "publisher", "room": settings.room,
                                                "display": JanusSession.display(settings, recording: recording)]
            if let pin = settings.pin { join["pin"] = pin }
            try await client.message(session: session, handle: handle, body: join)
            return JanusJoin(client: client, session: session, handle: handle, settings: settings, logger: logger, inbox: inbox)
        } catch {
            try? await client.destroy(session: session)
            throw error
        }
    }

    /// Ends the session on Janus, and with it the room's handle (which leaves the room) and every subscription, so
    /// the others see the room go at once, not when Janus times it out (nor see it twice after a rejoin). Leaving
    /// waits for it; after a failure the rejoin does not.
    private func end(_ session: UInt64, endings: inout DiscardingTaskGroup) async {
        let client = self.client
        guard Task.isCancelled else {
            endings.addTask { try? await client.destroy(session: session) }
            return
        }
        // Leaving: this task and its children are cancelled, and a cancelled task's request is not sent.
        await Task { try? await client.destroy(session: session) }.value  // unstructured: the one context not cancelled
    }
}
