import Foundation

/// What a ``SessionConnector`` reports, in the order it happened.
public enum SessionEvent: Equatable, Sendable {
    /// Connecting (again, after a drop, when `attempt` > 1).
    case connecting(attempt: Int)
    /// In the session, on stage; `participants` are the others already there.
    case joined(participants: [SessionParticipant])
    /// Someone came on stage, or changed what they send.
    case participantUpdated(SessionParticipant)
    /// Someone left the stage.
    case participantLeft(id: String)
    /// Someone started or stopped speaking.
    case talking(id: String, Bool)
    /// The room left the room it was in for another room of the session (`breakout`: not its own main room),
    /// which it joins next: everyone on stage there is gone from the room's stage.
    case moved(room: String, breakout: Bool)
    /// The connection to the session dropped (or could not be made); the connector tries again in `retryIn`
    /// seconds.
    case disconnected(reason: String, retryIn: Double)
}
