import Foundation

/// The online session as the daemon sees it: whether the room is in it, who else is on stage, and whether the
/// host is there. It applies a connector's ``SessionEvent``s and says what changed for the recording.
///
/// A dropped connection takes the remote participants off the recording's stage (their tiles go until the
/// connector is back) but is not the host leaving: an outage of the room's own network never starts the host's
/// grace period. After a rejoin the host's presence is compared with what it was before the drop.
public struct SessionRoster: Equatable, Sendable {
    /// Where the room is with the session.
    public enum State: String, Codable, Sendable {
        /// No session is configured, or the connector has not started.
        case offline
        case connecting
        case joined
        /// Connecting again after the connection dropped.
        case reconnecting
    }

    /// What an event changed, in the order the daemon should act on it.
    public enum Change: Equatable, Sendable {
        /// A participant came on stage: a new tile and a new voice in the mix.
        case joined(SessionParticipant)
        /// A participant changed what they send, or started or stopped speaking.
        case updated(SessionParticipant)
        /// A participant left the stage (or the connection to the session dropped).
        case left(SessionParticipant)
        /// The host is no longer on stage: the grace period starts.
        case hostLeft
        /// The host is on stage again (or for the first time).
        case hostReturned
    }

    public private(set) var state = State.offline
    /// The others on stage, in the order they came.
    public private(set) var participants: [SessionParticipant] = []
    /// How many times the room joined again after a drop.
    public private(set) var reconnects = 0
    /// Why the connection last dropped or failed.
    public private(set) var lastError: String?
    private var hasJoined = false
    /// In a breakout room: the host stays in the main room, so their absence there is not the host leaving.
    public private(set) var inBreakout = false
    /// Moved, and not joined yet: that join is not a reconnect.
    private var moving = false
    private var hostWasPresent = false
    /// Whether the host was ever on stage: only then can their absence be a grace running.
    private var hostSeen = false

    public init() {}

    /// Whether a participant with the host's role is on stage.
    public var hostPresent: Bool { participants.contains { $0.role == .host } }

    /// The participant speaking now, the one who spoke last if several are.
    public var speaking: SessionParticipant? { participants.last { $0.talking } }

    /// Applies `event` and returns what it changed.
    public mutating func apply(_ event: SessionEvent) -> [Change] {
        var changes: [Change] = []
        switch event {
        case .connecting:
            state = hasJoined ? .reconnecting : .connecting
            return []
        case .disconnected(let reason, _):
            state = hasJoined ? .reconnecting : .connecting
            lastError = reason
            return clearStage()  // not the host leaving: see the type's comment
        case .moved(_, let breakout):
            state = .connecting
            lastError = nil
            inBreakout = breakout
            moving = true
            changes = clearStage()
            if breakout && hostSeen && !hostWasPresent {
                // The host's absence cannot be followed from a breakout: a grace running for it stops here, so it
                // never ends a breakout's recording; the main room's join takes it up again.
                hostWasPresent = true
                changes.append(.hostReturned)
            }
            return changes
        case .joined(let others):
            if hasJoined && !moving { reconnects += 1 }
            moving = false
            hasJoined = true
            state = .joined
            lastError = nil
            changes = clearStage()
            participants = others
            changes += others.map { .joined($0) }
        case .participantUpdated(let participant):
            if let index = participants.firstIndex(where: { $0.id == participant.id }) {
                guard participants[index] != participant else { return [] }
                participants[index] = participant
                changes.append(.updated(participant))
            } else {
                participants.append(participant)
                changes.append(.joined(participant))
            }
        case .participantLeft(let id):
            guard let index = participants.firstIndex(where: { $0.id == id }) else { return [] }
            changes.append(.left(participants.remove(at: index)))
        case .talking(let id, let talking):
            guard let index = participants.firstIndex(where: { $0.id == id }), participants[index].talking != talking else { return [] }
            participants[index].talking = talking
            changes.append(.updated(participants[index]))
        }
        if hostPresent { hostSeen = true }
        if hostPresent != hostWasPresent && !inBreakout {
            hostWasPresent = hostPresent
            changes.append(hostPresent ? .hostReturned : .hostLeft)
        }
        return changes
    }

    /// Takes everyone off the stage, the last to come first.
    private mutating func clearStage() -> [Change] {
        defer { participants = [] }
        return participants.reversed().map { .left($0) }
    }
}
