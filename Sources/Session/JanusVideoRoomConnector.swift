import Foundation
import Logging
import RecorderCore
import Synchronization

/// Joins a Janus VideoRoom on stage (as a publisher, with the room's name) through Janus's HTTP API, publishes
/// the room's camera and microphone, follows who else publishes there (`publishers`, `unpublished`, `leaving`,
/// `talking`) and receives them, keeps the session alive, and joins again with back-off when the server or the
/// network goes away.
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
    /// The session and handle while joined.
    private let joined = Mutex<(session: UInt64, handle: UInt64)?>(nil)
    /// What the room receives from each publisher it subscribed to, by feed id.
    private let subscriptions = Mutex<[UInt64: Subscription]>([:])

    private struct Subscription: @unchecked Sendable {
        var handle: UInt64
        var receiver: WebRTCReceiver?
    }
    /// Whether the room records, for its display name (kept, so a join or rejoin says it too).
    private let recording = Atomic(false)
    /// The publishers in the room now, by feed id: a subscription that failed is tried again only while its
    /// publisher is still there.
    private let publishers = Mutex<Set<UInt64>>([])
    /// The receivers' numbers, read every few seconds while joined.
    private let receptions = Mutex<[TrackReception]>([])

    public func reception() -> [TrackReception] { receptions.withLock { $0 } }

    /// What the room sends while joined: its connection and the encode feeding it, once Janus answered.
    private let publication = Mutex<Publication?>(nil)

    private struct Publication: Sendable {
        var publisher: WebRTCPublisher
        /// The encode, once Janus answered; the receivers' feedback goes to it.
        var feed = FeedSlot()
        func stop() {
            feed.take()?.stop()
            publisher.stop()
        }
    }

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.client = JanusClient(base: settings.url, token: settings.token)
        self.logger = logger
    }

    public func run(publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
                    media: @escaping @Sendable (RemoteMediaFrame) -> Void) async {
        var failures = 0
        let joinedAgain = JoinFlag()
        let reportAndNote: @Sendable (SessionEvent) -> Void = { event in
            if case .joined = event { joinedAgain.set() }
            report(event)
        }
        while !Task.isCancelled {
            report(.connecting(attempt: failures + 1))
            do {
                try await stay(publishing: local, report: reportAndNote, media: media)
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
        self.recording.store(recording, ordering: .relaxed)
        sendRecordingState()
        guard let (session, handle) = joined.withLock({ $0 }) else { return }  // the join will say it
        do {
            // The state now, not the one asked for: announcements that overtake each other end up right.
            try await client.message(session: session, handle: handle, body: ["request": "configure", "display": display])
        } catch {
            logger.warning("could not tell the session the room is recording", metadata: ["error": "\(error)"])
        }
    }

    /// Tells the participants on the publication's data channel whether the room records, as a JSON text message:
    /// `{"type":"recording","recording":true,"display":"Room 101"}`. Sent when it changes, when the channel opens
    /// and every few seconds, so a participant who came later shows the indicator too.
    private func sendRecordingState() {
        guard let publisher = publication.withLock({ $0?.publisher }) else { return }
        let message: [String: any Sendable] = ["type": "recording", "recording": recording.load(ordering: .relaxed), "display": settings.display]
        guard let data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]) else { return }
        publisher.send(text: String(decoding: data, as: UTF8.self))
    }

    /// Seconds between repeats of the recording state on the data channel.
    static let recordingStateInterval = 2.0

    /// The name to show: the room's, saying so while it records.
    private var display: String {
        recording.load(ordering: .relaxed) ? "\(settings.display) (recording)" : settings.display
    }

    /// Joins, then follows the room until the connection fails (it throws) or the task is cancelled.
    private func stay(publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
                      media: @escaping @Sendable (RemoteMediaFrame) -> Void) async throws {
        let session = try await client.createSession()
        let handle: UInt64
        do {
            handle = try await client.attach(session: session, plugin: Self.plugin)
            var join: [String: any Sendable] = ["request": "join", "ptype": "publisher", "room": settings.room, "display": display]
            if let pin = settings.pin { join["pin"] = pin }
            try await client.message(session: session, handle: handle, body: join)
        } catch {
            try? await client.destroy(session: session)
            throw error
        }
        joined.withLock { $0 = (session, handle) }
        defer {
            joined.withLock { $0 = nil }
            publishers.withLock { $0 = [] }
            receptions.withLock { $0 = [] }
            endPublication()
            // The session is gone, and with it every subscription.
            for subscription in subscriptions.withLock({ let all = $0; $0 = [:]; return all }).values { subscription.receiver?.stop() }
        }
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
                group.addTask { try await self.follow(session: session, publisher: handle, local: local, report: report, media: media) }
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(2))
                        try await self.readReception()
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(Self.recordingStateInterval))
                        self.sendRecordingState()
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            // End the session from outside this task, so the request is still sent when leaving and the others see
            // the room go at once, not when Janus times it out (nor see it twice after a rejoin). Leaving waits
            // for it; after a failure the rejoin does not.
            let ending = Task { try? await client.destroy(session: session) }
            if Task.isCancelled { await ending.value }
            throw error
        }
    }

    /// Reads the session's events until one ends it.
    private func follow(session: UInt64, publisher: UInt64, local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
                        media: @escaping @Sendable (RemoteMediaFrame) -> Void) async throws {
        while true {
            for message in try await client.poll(session: session) {
                if let sender = message.sender, sender != publisher {
                    subscriberEvent(message, session: session, handle: sender, media: media)
                    continue
                }
                switch message.janus {
                case "timeout": throw JanusError("Janus ended the session (it heard nothing from us for too long)")
                case "webrtcup": logger.info("publishing the room's camera and microphone")
                case "hangup":
                    // The room's own connection failed (ICE or DTLS): it publishes afresh; receiving goes on.
                    if let local {
                        logger.warning("the room's publication stopped; publishing again", metadata: ["why": "\(message.reason ?? "hangup")"])
                        publish(local, session: session, handle: publisher, after: 2)
                    }
                case "event":
                    if let answer = message.jsep, answer.type == "answer" { accept(answer.sdp, from: local) }
                    guard let data = message.plugindata?.data else { continue }
                    if let reason = data.error {
                        // A refused publication is not the end of the session: the room still watches and records.
                        if let pending = publication.withLock({ $0 }), !pending.feed.isSet {
                            logger.warning("Janus refused the room's publication", metadata: ["error": "\(reason)"])
                            endPublication()
                            continue
                        }
                        throw JanusError("VideoRoom: \(reason) (error \(data.errorCode ?? 0))")
                    }
                    switch data.videoroom {
                    case "joined":
                        logger.info("joined the session", metadata: ["room": "\(settings.room)", "id": "\(data.id ?? 0)"])
                        report(.joined(participants: (data.publishers ?? []).map(participant)))
                        for publisher in data.publishers ?? [] { subscribe(to: publisher.id, session: session) }
                        if let local { publish(local, session: session, handle: publisher) }
                    case "event":
                        if data.leaving == .ourselves || data.kicked == .ourselves {
                            throw JanusError("the room was removed from the session (\(data.reason ?? "kicked"))")
                        }
                        for publisher in data.publishers ?? [] {
                            report(.participantUpdated(participant(publisher)))
                            subscribe(to: publisher.id, session: session)
                        }
                        for case .id(let id)? in [data.unpublished, data.leaving, data.kicked] {
                            // Their media stops first, so nothing of theirs arrives after they are gone.
                            publishers.withLock { _ = $0.remove(id) }
                            unsubscribe(from: id, session: session)
                            report(.participantLeft(id: "\(id)"))
                        }
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

    /// Publishes the room's camera and microphone on the publisher handle (after `delay` seconds): a new
    /// ``WebRTCPublisher`` makes the offer, and Janus's answer comes as an event (``accept(_:from:)``).
    private func publish(_ local: any RoomMediaSource, session: UInt64, handle: UInt64, after delay: Double = 0) {
        endPublication()
        let (client, settings, logger) = (self.client, self.settings, self.logger)
        Task {
            do {
                if delay > 0 { try await Task.sleep(for: .seconds(delay)) }
                guard joined.withLock({ $0?.session == session }) else { return }
                let feed = FeedSlot()
                let publisher = try WebRTCPublisher(iceAddresses: settings.iceAddresses,
                                                    keyframeWanted: { feed.current?.requestKeyframe() },
                                                    estimate: { feed.current?.limitVideoBitrate($0) },
                                                    channelOpened: { [weak self] in
                                                        logger.info("the data channel to the session is open")
                                                        self?.sendRecordingState()
                                                    })
                let offer = try await GStreamer.blocking { try publisher.offer() }
                logger.debug("the room's offer", metadata: ["sdp": "\(offer)"])
                let kept = publication.withLock { current in
                    guard current == nil, joined.withLock({ $0?.session == session }) else { return false }
                    current = Publication(publisher: publisher, feed: feed)
                    return true
                }
                guard kept else { return publisher.stop() }
                try await client.message(session: session, handle: handle, body: ["request": "publish"],
                                         jsep: ["type": "offer", "sdp": offer, "trickle": false])
            } catch {
                logger.warning("could not publish the room's camera and microphone", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Stops what the room sends (its encode and its connection), if anything.
    private func endPublication() {
        publication.withLock { current in defer { current = nil }; return current }?.stop()
    }

    /// Janus's answer to the room's offer: the connection is set up, and the encoders start feeding it.
    private func accept(_ answer: String, from local: (any RoomMediaSource)?) {
        guard let local, let pending = publication.withLock({ $0 }), !pending.feed.isSet else { return }
        let (publisher, logger) = (pending.publisher, self.logger)
        Task {
            do {
                try await GStreamer.blocking { try publisher.accept(answer: answer) }
                let feed = try local.startFeed { publisher.send($0) }
                pending.feed.set(feed)
                // Left or published afresh meanwhile: this encode has no connection to feed.
                if publication.withLock({ $0?.publisher !== publisher }) { pending.feed.take()?.stop() }
            } catch {
                logger.warning("could not publish the room's camera and microphone", metadata: ["error": "\(error)"])
                publication.withLock { current in if current?.publisher === publisher { current = nil } }
                publisher.stop()
            }
        }
    }

    /// Subscribes to what a publisher sends (once): a handle of its own joins as a subscriber, and Janus's offer
    /// arrives as that handle's `attached` event.
    private func subscribe(to feed: UInt64, session: UInt64) {
        publishers.withLock { _ = $0.insert(feed) }
        let isNew = subscriptions.withLock { all in
            guard all[feed] == nil else { return false }
            all[feed] = Subscription(handle: 0, receiver: nil)
            return true
        }
        guard isNew else { return }
        let (client, settings, logger) = (self.client, self.settings, self.logger)
        Task {
            do {
                let handle = try await client.attach(session: session, plugin: Self.plugin)
                let stillWanted = subscriptions.withLock { all in
                    guard all[feed] != nil else { return false }
                    all[feed]?.handle = handle
                    return true
                }
                guard stillWanted else { return try await client.detach(session: session, handle: handle) }
                // No renegotiation on this handle: a publisher that changes what it sends is subscribed to afresh.
                var join: [String: any Sendable] = ["request": "join", "ptype": "subscriber", "room": settings.room,
                                                    "streams": [["feed": feed]], "autoupdate": false]
                if let pin = settings.pin { join["pin"] = pin }
                try await client.message(session: session, handle: handle, body: join)
            } catch {
                logger.warning("could not subscribe to a participant", metadata: ["feed": "\(feed)", "error": "\(error)"])
                resubscribe(to: feed, session: session)
            }
        }
    }

    /// An event for one of the subscriber handles: Janus's offer, answered by a new ``WebRTCReceiver``; a hang-up
    /// (ICE or DTLS failed), an error or a second offer starts the subscription afresh.
    private func subscriberEvent(_ message: JanusMessage, session: UInt64, handle: UInt64, media: @escaping @Sendable (RemoteMediaFrame) -> Void) {
        guard let (feed, existing) = subscriptions.withLock({ all in all.first { $0.value.handle == handle }.map { ($0.key, $0.value.receiver) } }) else { return }
        if message.janus == "hangup" || message.plugindata?.data.error != nil || (message.jsep != nil && existing != nil) {
            logger.warning("a participant's media stopped; subscribing again", metadata: [
                "feed": "\(feed)", "why": "\(message.plugindata?.data.error ?? message.janus)"])
            return resubscribe(to: feed, session: session)
        }
        guard message.janus == "event", let offer = message.jsep, offer.type == "offer" else { return }
        let (client, settings, logger) = (self.client, self.settings, self.logger)
        // Tracks are named as the publisher names them (its stream's mid), as the participant's tracks are.
        var publisherMids: [String: String] = [:]
        for stream in message.plugindata?.data.streams ?? [] {
            if let mid = stream.mid, let feedMid = stream.feedMid { publisherMids[mid] = feedMid }
        }
        let names = publisherMids
        Task {
            do {
                let participant = "\(feed)"
                let receiver = try WebRTCReceiver(iceAddresses: settings.iceAddresses) { frame in
                    media(RemoteMediaFrame(participantID: participant, track: names[frame.track] ?? frame.track, kind: frame.kind,
                                           codec: frame.codec, data: frame.data, arrivedAt: frame.arrivedAt))
                }
                let kept = subscriptions.withLock { all in
                    guard all[feed]?.handle == handle else { return false }
                    all[feed]?.receiver?.stop()
                    all[feed]?.receiver = receiver
                    return true
                }
                guard kept else { return receiver.stop() }
                let answer = try await GStreamer.blocking { try receiver.answer(offer: offer.sdp) }
                try await client.message(session: session, handle: handle, body: ["request": "start"],
                                         jsep: ["type": "answer", "sdp": answer, "trickle": false])
                logger.info("receiving a participant", metadata: ["feed": "\(feed)"])
            } catch {
                logger.warning("could not receive a participant", metadata: ["feed": "\(feed)", "error": "\(error)"])
                resubscribe(to: feed, session: session)
            }
        }
    }

    /// Drops a subscription that failed and, after a pause, subscribes again if its publisher is still there.
    private func resubscribe(to feed: UInt64, session: UInt64) {
        unsubscribe(from: feed, session: session)
        Task {
            try await Task.sleep(for: .seconds(2))
            guard publishers.withLock({ $0.contains(feed) }), joined.withLock({ $0?.session == session }) else { return }
            subscribe(to: feed, session: session)
        }
    }

    /// Asks every receiver for its numbers (off the pool: webrtcbin answers on its own thread).
    private func readReception() async throws {
        let receivers = subscriptions.withLock { all in all.compactMap { feed, subscription in subscription.receiver.map { ("\(feed)", $0) } } }
        let readings = try await GStreamer.blocking {
            receivers.flatMap { id, receiver in
                receiver.reception().sorted { $0.key.rawValue < $1.key.rawValue }.map { kind, numbers in
                    TrackReception(participantID: id, kind: kind, packetsReceived: numbers.received, packetsLost: numbers.lost, jitter: numbers.jitter)
                }
            }
        }
        receptions.withLock { $0 = readings }
    }

    /// Stops receiving a publisher that left (or whose subscription failed) and detaches its handle.
    private func unsubscribe(from feed: UInt64, session: UInt64) {
        guard let subscription = subscriptions.withLock({ $0.removeValue(forKey: feed) }) else { return }
        subscription.receiver?.stop()
        let client = self.client
        if subscription.handle != 0 { Task { try? await client.detach(session: session, handle: subscription.handle) } }
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

/// The encode feeding a publication, set once Janus answered; read from GStreamer's threads for feedback.
private final class FeedSlot: Sendable {
    private let feed = Mutex<(any RoomMediaFeed)?>(nil)
    var current: (any RoomMediaFeed)? { feed.withLock { $0 } }
    var isSet: Bool { current != nil }
    func set(_ feed: any RoomMediaFeed) { self.feed.withLock { $0 = feed } }
    func take() -> (any RoomMediaFeed)? { feed.withLock { let taken = $0; $0 = nil; return taken } }
}
