import ControlContract
import Foundation
import Logging
import RecorderCore

/// What the online room needs of the recording in progress: the narrow interface it declares, which
/// ``RecordingController`` implements.
protocol SessionRecorder: Sendable {
    /// The recording in progress (nil: none), and whether roomrecd is stopping.
    func sessionView() async -> (recording: Recording?, shuttingDown: Bool)
    func hostLeft(at instant: MonotonicInstant) async
    func hostReturned() async
    func start(_ request: StartRecordingRequest, initiator: String, block: SchedulePlanner.Block?) async throws(ControlError) -> Recording
    /// The room moved to another room of the session (`breakout`: its name; nil: the main room): the recording in
    /// progress ends with `reason` and the next starts there.
    func roomMoved(to breakout: String?, reason: String) async
}

/// The room in its online session: joins through the connector and follows it until cancelled. Who comes on
/// stage goes to ``RemoteStage`` (the one path from the session to the recording), the host's presence to the
/// recording's rules, the session's start to a recording (`[session] auto_record`), and the room's recording
/// state back to the participants.
actor SessionCoordinator {
    private let connector: any SessionConnector
    private let recorder: any SessionRecorder
    let stage: RemoteStage
    /// The room's camera and microphone encoded for the session, while it publishes them.
    let publisher: RoomPublisher?
    private let board: StatusBoard
    private let settings: RoomRecorderConfig.Session
    private let hostLeaveGrace: Double
    private let events: EventHub
    private let logger: Logger
    private(set) var roster = SessionRoster()
    /// When the host left, while they are away.
    private(set) var hostLeftAt: Date?
    /// Whether the session's start is to start a recording now (`[session] auto_record`).
    private var autoRecord = SessionAutoRecord()
    /// Whether the current outage was announced (once per outage, not per attempt).
    private var outageReported = false
    /// The breakout room the room was moved to (its number and name); nil in the main room.
    private var breakout: (room: String, name: String)?
    /// Whether the room records, for the participants' recording indicator (sent in order, never blocking a stop).
    private let announcements = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(4))

    init(connector: any SessionConnector, recorder: any SessionRecorder, stage: RemoteStage, sources: RoomSources,
         board: StatusBoard, config: RoomRecorderConfig, events: EventHub, logger: Logger) {
        self.board = board
        self.connector = connector
        self.recorder = recorder
        self.stage = stage
        settings = config.session
        hostLeaveGrace = config.recording.hostLeaveGrace
        publisher = config.session.publish ? RoomPublisher(sources: sources, settings: config.session, logger: logger) : nil
        self.events = events
        self.logger = logger
    }

    /// Joins and follows the session until the task is cancelled, then leaves it.
    func run() async {
        publishStatus()
        let (reports, continuation) = AsyncStream.makeStream(of: SessionEvent.self)
        await withDiscardingTaskGroup { group in
            group.addTask { [connector, publisher, stage] in
                await connector.run(publishing: publisher, report: { continuation.yield($0) }, media: { stage.deliver($0) })
                continuation.finish()
            }
            group.addTask { [connector, announcements] in
                for await recording in announcements.stream { await connector.announceRecording(recording) }
            }
            for await event in reports { await apply(event) }
            announcements.continuation.finish()
        }
    }

    /// Tells the participants whether the room records.
    func announce(recording: Bool) { announcements.continuation.yield(recording) }

    /// Applies one event from the connector.
    func apply(_ event: SessionEvent, now: MonotonicInstant = .now()) async {
        let changes = roster.apply(event)
        report(event)
        for change in changes {
            switch change {
            case .joined(let participant):
                stage.admit(participant)
                logger.info("on stage", metadata: ["participant": "\(participant.id)", "role": "\(participant.role.rawValue)"])
                events.publish(.session, message: "\(participant.display) came on stage" + (participant.role == .host ? " (the host)" : ""))
            case .left(let participant):
                stage.forget(participant.id)
                logger.info("left the stage", metadata: ["participant": "\(participant.id)"])
                if roster.state == .joined { events.publish(.session, message: "\(participant.display) left the stage") }
            case .updated(let participant):
                // A screen shared (or no longer) beside the camera comes on (or off) the stage.
                stage.admit(participant)
            case .hostLeft:
                hostLeftAt = Date()
                await recorder.hostLeft(at: now)
                let recording = await recorder.sessionView().recording
                let grace = TimeSpan(hostLeaveGrace).description
                logger.notice("the host left the session", metadata: ["grace": "\(grace)"])
                events.publish(.warning, recording: recording,
                               message: "the host left the session" + (recording == nil ? "" : "; the recording goes on for \(grace) unless they return"))
            case .hostReturned:
                if hostLeftAt != nil {
                    logger.notice("the host is back in the session")
                    events.publish(.session, message: "the host is back in the session")
                }
                hostLeftAt = nil
                await recorder.hostReturned()
            }
        }
        stage.setSpeaker(roster.speaking?.id)
        publishStatus()
        await startIfTheSessionStarted()
    }

    /// Logs and announces joining and outages.
    private func report(_ event: SessionEvent) {
        switch event {
        case .joined(let others):
            outageReported = false
            if settings.connector == .whip {
                logger.notice("publishing to the WHIP endpoint", metadata: ["endpoint": "\(place)"])
                events.publish(.session, message: "publishing the room's camera and microphone to the WHIP endpoint \(place)")
                break
            }
            logger.notice("joined the session", metadata: ["room": "\(place)", "onStage": "\(others.count)"])
            events.publish(.session, message: "joined the session (room \(place)); \(others.count) others on stage")
        case .disconnected(let reason, let retryIn):
            logger.warning("the session is unreachable", metadata: ["reason": "\(reason)", "retryIn": "\(retryIn)"])
            if !outageReported {
                outageReported = true
                events.publish(.warning, message: "the session is unreachable (\(reason)); trying again in \(Int(retryIn.rounded(.up))) s. "
                               + "A recording goes on with the room's own camera and microphone")
            }
        case .moved(let room, _):
            logger.notice("left the room for another room of the session", metadata: ["room": "\(room)"])
        case .connecting, .participantUpdated, .participantLeft, .talking: break
        }
    }

    /// Moves the room to `room` of its session (nil: back to the main room); a breakout is named by `name`, or by
    /// `[session.breakouts]`. The recording in progress ends there and the next starts in the new room. Answers
    /// where the room is going.
    func move(to room: String?, name: String?) async throws(ControlError) -> SessionStatus {
        guard settings.connector == .janus else {
            throw .conflict(settings.connector == .none ? "no online session is configured ([session] connector)"
                            : "a \(settings.connector.rawValue) session has no rooms to move between")
        }
        let main = "\(settings.room)"
        // A VideoRoom is a number: "05678" and 5678 are the same room (and the main room is the main room).
        guard let target = room.map({ UInt64($0).map { "\($0)" } }) ?? main else {
            throw .badRequest("a Janus VideoRoom is a number, such as 5678; got \"\(room ?? "")\"")
        }
        let name = target == main ? nil : (name?.trimmingCharacters(in: .whitespaces)).flatMap { $0.isEmpty ? nil : $0 } ?? settings.breakouts[target]
        if target != main && name == nil {
            throw .badRequest("name breakout room \(target) (\"name\", or --name), or list it in [session.breakouts]")
        }
        guard target != (breakout?.room ?? main) || name != breakout?.name else { return currentStatus() }
        do {
            try connector.move(to: target)
        } catch {
            throw .badRequest(error.description)
        }
        let reason = name.map { "moved to breakout \($0)" } ?? "returned to the main room"
        breakout = name.map { (target, $0) }
        logger.notice("\(reason)", metadata: ["room": "\(target)"])
        let recording = await recorder.sessionView().recording
        events.publish(.session, recording: recording, message: "the room \(reason) (room \(target))"
                       + (recording == nil ? "" : "; the recording there is a new one"))
        await recorder.roomMoved(to: name, reason: reason)
        publishStatus()
        return currentStatus()
    }

    /// `[session] auto_record`: the session's start (its host on stage) starts one recording per start.
    private func startIfTheSessionStarted() async {
        // In a breakout the host is in the main room: their absence is not the session's end and start.
        guard settings.autoRecord, !roster.inBreakout else { return }
        let view = await recorder.sessionView()
        guard !view.shuttingDown, autoRecord.shouldStart(hostPresent: roster.hostPresent, recording: view.recording != nil) else { return }
        logger.notice("the session started: recording it", metadata: ["room": "\(place)"])
        events.publish(.session, message: "the session started (its host is on stage); recording it")
        do {
            _ = try await recorder.start(StartRecordingRequest(), initiator: "session", block: nil)
        } catch {
            logger.error("the session started but the recording could not", metadata: ["error": "\(error)"])
            events.publish(.warning, message: "the session started but the recording could not: \(error)")
        }
    }

    /// Where the room is in the session, for status and events: the VideoRoom joined, or the WHIP endpoint's
    /// server (its path may hold a stream key, so only the scheme, host and port are shown; the log has the rest).
    private var place: String {
        guard settings.connector == .whip else { return breakout?.room ?? "\(settings.room)" }
        guard let url = settings.url, let host = url.host else { return "" }
        return "\(url.scheme ?? "https")://\(host)\(url.port.map { ":\($0)" } ?? "")/…"
    }

    /// Tells the status board where the session stands (after every event, so status never waits for this actor).
    private func publishStatus() {
        let status = currentStatus()
        board.update { $0.session = status }
    }

    private func currentStatus() -> SessionStatus {
        var status = SessionStatus(state: roster.state, connector: settings.connector.rawValue, room: place,
                                   participants: roster.participants, hostPresent: roster.hostPresent, hostLeftAt: hostLeftAt,
                                   reconnects: roster.reconnects, lastError: roster.state == .joined ? nil : roster.lastError,
                                   receiving: [], publishing: nil)
        status.breakout = breakout?.name
        return status
    }

    /// `status` with what arrives from each participant's track (with the transport's loss figures) and what the
    /// room sends, as they are now: read from their own locks, not this actor.
    nonisolated func withLiveFigures(_ status: SessionStatus) -> SessionStatus {
        let reception = connector.reception()
        var status = status
        status.receiving = stage.received().map { track in
            var track = track
            if let numbers = reception.first(where: { $0.participantID == track.participantId && $0.kind == track.kind }) {
                track.packetsLost = numbers.packetsLost
                track.lossPercent = (numbers.lossPercent * 100).rounded() / 100
            }
            return track
        }
        status.publishing = publisher?.status
        return status
    }
}
