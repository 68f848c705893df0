import Foundation
import Logging
import RecorderCore

/// Where the room joined, and what the side work of the join needs: the client, the session and the room's own
/// handle in it, the settings, and the owner's inbox (where side work and GStreamer's callbacks report).
struct JanusJoin: Sendable {
    let client: JanusClient
    let session: UInt64
    /// The room's own handle: it joined on stage, as a publisher, on it.
    let handle: UInt64
    let settings: JanusVideoRoomConnector.Settings
    let logger: Logger
    let inbox: AsyncStream<JanusSession.Input>.Continuation
}

/// The session ended because the room moves to another room (``JanusVideoRoomConnector/move(to:)``), not because
/// it failed: the connector joins the other room at once.
struct JanusRoomChange: Error, CustomStringConvertible {
    var description: String { "moving to another room" }
}

/// One joined Janus session, with one owner: Janus's events (the long poll), the completions of the side work it
/// started (attaching, answering, publishing), webrtcbin's callbacks, the timers and the daemon's announcements
/// all arrive as ``Input``s in one stream, and one loop (``follow(_:)``) takes them in order. It alone holds the
/// subscriptions, the publication and the publishers, so none of it is behind a lock (only the encode GStreamer's
/// threads reach, ``FeedSlot``) and no side work re-checks whether it is still wanted: side work only reports
/// back, naming the attempt it was for, and what it reports on is looked up here (a report about an attempt since
/// dropped is ignored). The style is mediamtx's path manager: a component owns its state in one loop, and others
/// send it requests.
///
/// Side work runs as child tasks of the join (``Job``s), so when the session ends nothing outlives it: the loop
/// stops what the session held, and the join's task group waits for its children.
struct JanusSession {
    /// What the owner hears.
    enum Input: Sendable {
        /// Events from the session's long poll, in the order Janus sent them.
        case events([JanusMessage])
        /// The long poll or a keep-alive failed: the session is gone.
        case lost(any Error)
        /// The room is to move to another room of the session: this session ends, and the connector joins there.
        case moved
        /// The daemon announced whether the room records; the state is read when this is taken
        /// (``JanusVideoRoomConnector/announceRecording(_:)``), so announcements that overtake each other end up right.
        case recordingChanged
        /// Janus took the name asked with `configure`, or failed to.
        case configured(failure: (any Error)?)
        /// Time to say the recording state on the data channel again.
        case repeatRecordingState
        /// Time to read the receivers' numbers again; then the numbers read.
        case readReception
        case reception([TrackReception])
        case subscription(JanusSubscriptions.Progress)
        case publication(JanusPublication.Progress)
    }

    /// Side work: a child task of the join that reports back with an input when it has something to say.
    typealias Job = @Sendable () async -> Input?

    /// Seconds between readings of the receivers' numbers.
    static let receptionInterval = 2.0
    /// Seconds between repeats of the recording state on the data channel.
    static let recordingStateInterval = 2.0

    private let join: JanusJoin
    private let report: @Sendable (SessionEvent) -> Void
    /// The recording state last announced.
    private let announced: @Sendable () -> Bool
    /// Where the receivers' numbers go for the synchronous ``JanusVideoRoomConnector/reception()``.
    private let publishReception: @Sendable ([TrackReception]) -> Void
    private var subscriptions: JanusSubscriptions
    /// What the room sends; nil when it only watches.
    private var publication: JanusPublication?
    /// Whether the room records, for its name and the data channel.
    private var recording: Bool
    /// The name Janus was last asked to show (by the join, then by `configure`), and whether a `configure` is on its
    /// way: one at a time, so Janus ends up with the name of the state now, whatever order requests arrive in. A
    /// failure is logged, not retried; the next announcement asks again.
    private var displayAsked: String
    private var configuring = false
    private var readingReception = false
    /// Whether Janus said `joined`: a session that was joined and then dropped starts the back-off afresh.
    private(set) var joined = false

    init(join: JanusJoin, recording: Bool, publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
         media: @escaping @Sendable (RemoteMediaFrame) -> Void, announced: @escaping @Sendable () -> Bool,
         publishReception: @escaping @Sendable ([TrackReception]) -> Void) {
        self.join = join
        self.report = report
        self.announced = announced
        self.publishReception = publishReception
        self.recording = recording
        self.displayAsked = Self.display(join.settings, recording: recording)
        subscriptions = JanusSubscriptions(join: join, media: media)
        publication = local.map { JanusPublication(join: join, local: $0) }
    }

    /// The name to show: the room's, saying so while it records.
    static func display(_ settings: JanusVideoRoomConnector.Settings, recording: Bool) -> String {
        recording ? "\(settings.display) (recording)" : settings.display
    }

    private var logger: Logger { join.logger }

    /// The owner's loop: starts the session's own side work (the long poll, keep-alives, the timers), then takes
    /// inputs one at a time until one ends the session (it throws) or the task is cancelled (it returns: leaving).
    /// When it ends, what the session held is stopped first, so children blocked on it return at once; then the
    /// join's task group cancels the rest and waits for them.
    mutating func follow(_ inputs: AsyncStream<Input>) async throws {
        let inbox = join.inbox
        try await withThrowingDiscardingTaskGroup { group in
            defer { end() }
            for work in ownWork() { group.addTask(operation: work) }
            for await input in inputs {
                for job in try handle(input) {
                    group.addTask { if let done = await job() { inbox.yield(done) } }
                }
            }
            group.cancelAll()
        }
    }

    /// Takes one input; returns the side work it starts. Throws when the session is over.
    mutating func handle(_ input: Input) throws -> [Job] {
        switch input {
        case .events(let messages):
            var jobs: [Job] = []
            for message in messages { jobs += try event(message) }
            return jobs
        case .lost(let error):
            throw error
        case .moved:
            throw JanusRoomChange()
        case .recordingChanged:
            recording = announced()
            sendRecordingState()
            return configureIfNeeded()
        case .configured(let failure):
            configuring = false
            if let failure { logger.warning("could not tell the session the room is recording", metadata: ["error": "\(failure)"]) }
            return configureIfNeeded()
        case .repeatRecordingState:
            sendRecordingState()
            return []
        case .readReception:
            guard !readingReception else { return [] }
            readingReception = true
            let receivers = subscriptions.receivers
            // Off the loop: get-stats waits for webrtcbin to answer on its own thread.
            return [{
                let readings = try? await GStreamer.blocking {
                    receivers.flatMap { id, receiver in
                        receiver.reception().sorted { $0.key.rawValue < $1.key.rawValue }.map { kind, numbers in
                            TrackReception(participantID: id, kind: kind, packetsReceived: numbers.received, packetsLost: numbers.lost, jitter: numbers.jitter)
                        }
                    }
                }
                return .reception(readings ?? [])
            }]
        case .reception(let readings):
            readingReception = false
            publishReception(readings)
            return []
        case .subscription(let progress):
            return subscriptions.progress(progress)
        case .publication(.channelOpened(let number)):
            logger.info("the data channel to the session is open")
            if publication?.isCurrent(number) == true { sendRecordingState() }
            return []
        case .publication(let progress):
            return publication?.progress(progress) ?? []
        }
    }

    /// Stops what the session holds: the publication and every receiver (the session's end takes the handles).
    mutating func end() {
        publication?.end()
        subscriptions.end()
    }

    /// One event from the long poll: a subscriber handle's go to the subscriptions, the rest is the room's own.
    private mutating func event(_ message: JanusMessage) throws -> [Job] {
        if let sender = message.sender, sender != join.handle { return subscriptions.event(message, from: sender) }
        switch message.janus {
        case "timeout": throw JanusError("Janus ended the session (it heard nothing from us for too long)")
        case "webrtcup": logger.info("publishing the room's camera and microphone")
        case "hangup":
            // The room's own connection failed (ICE or DTLS): it publishes afresh; receiving goes on.
            return publication?.hungUp(why: message.reason ?? "hangup") ?? []
        case "event": return try roomEvent(message)
        default: break
        }
        return []
    }

    /// A VideoRoom event on the room's own handle: joined, who publishes and who left, who talks, an answer to
    /// the room's offer, an error.
    private mutating func roomEvent(_ message: JanusMessage) throws -> [Job] {
        var jobs: [Job] = []
        if let answer = message.jsep, answer.type == "answer" { jobs += publication?.accept(answer.sdp) ?? [] }
        guard let data = message.plugindata?.data else { return jobs }
        if let reason = data.error {
            // A refused publication is not the end of the session: the room still watches and records.
            if publication?.refused(reason) == true { return jobs }
            throw JanusError("VideoRoom: \(reason) (error \(data.errorCode ?? 0))")
        }
        switch data.videoroom {
        case "joined":
            joined = true
            logger.info("joined the session", metadata: ["room": "\(join.settings.room)", "id": "\(data.id ?? 0)"])
            report(.joined(participants: (data.publishers ?? []).map(participant)))
            for publisher in data.publishers ?? [] { jobs += subscriptions.subscribe(to: publisher.id) }
            jobs += publication?.publish() ?? []
        case "event":
            if data.leaving == .ourselves || data.kicked == .ourselves {
                throw JanusError("the room was removed from the session (\(data.reason ?? "kicked"))")
            }
            for publisher in data.publishers ?? [] {
                report(.participantUpdated(participant(publisher)))
                jobs += subscriptions.subscribe(to: publisher.id)
            }
            for case .id(let id)? in [data.unpublished, data.leaving, data.kicked] {
                // Their media stops first, so nothing of theirs arrives after they are gone.
                jobs += subscriptions.publisherLeft(id)
                report(.participantLeft(id: "\(id)"))
            }
        case "talking", "stopped-talking":
            if let id = data.id { report(.talking(id: "\(id)", data.videoroom == "talking")) }
        case "destroyed":
            throw JanusError("the room \(join.settings.room) was destroyed")
        default: break
        }
        return jobs
    }

    /// Asks Janus to show the room's name as it is now, if that is not the name last asked and no `configure` is on
    /// its way (its answer asks again if the state changed meanwhile).
    private mutating func configureIfNeeded() -> [Job] {
        let display = Self.display(join.settings, recording: recording)
        guard !configuring, display != displayAsked else { return [] }
        (configuring, displayAsked) = (true, display)
        let join = self.join
        return [{
            do {
                try await join.client.message(session: join.session, handle: join.handle, body: ["request": "configure", "display": display])
                return .configured(failure: nil)
            } catch {
                return .configured(failure: error)
            }
        }]
    }

    /// Tells the participants on the publication's data channel whether the room records, as a JSON text message:
    /// `{"type":"recording","recording":true,"display":"Room 101"}`. Sent when it changes, when the channel opens
    /// and every few seconds, so a participant who came later shows the indicator too.
    private func sendRecordingState() {
        guard let publication else { return }
        let message: [String: any Sendable] = ["type": "recording", "recording": recording, "display": join.settings.display]
        guard let data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]) else { return }
        publication.send(text: String(decoding: data, as: UTF8.self))
    }

    /// The session's own side work, each feeding the inbox: the long poll, the keep-alives (Janus ends a session
    /// silent for 60 s) and the timers.
    private func ownWork() -> [@Sendable () async -> Void] {
        let (client, session, inbox, keepalive) = (join.client, join.session, join.inbox, join.settings.keepaliveInterval)
        func every(_ seconds: Double, _ input: Input) -> @Sendable () async -> Void {
            { while (try? await Task.sleep(for: .seconds(seconds))) != nil { inbox.yield(input) } }
        }
        return [
            {
                do {
                    while true { inbox.yield(.events(try await client.poll(session: session))) }
                } catch {
                    inbox.yield(.lost(error))
                }
            },
            {
                do {
                    while true {
                        try await Task.sleep(for: .seconds(keepalive))
                        try await client.keepalive(session: session)
                    }
                } catch {
                    inbox.yield(.lost(error))
                }
            },
            every(Self.receptionInterval, .readReception),
            every(Self.recordingStateInterval, .repeatRecordingState),
        ]
    }

    /// A publisher as a participant: its role from the configured names, its audio and video streams.
    private func participant(_ publisher: JanusPublisher) -> SessionParticipant {
        let settings = join.settings
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
