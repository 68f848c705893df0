import Foundation

/// The room as an Opencast capture agent (`[opencast]`), in `GET /v1/status`: what it last told Opencast and
/// when it last read its calendar, so IT sees from the room what the admin UI should show.
public struct OpencastStatus: Codable, Equatable, Sendable {
    /// The agent's name in Opencast.
    public var agent: String
    /// The admin node.
    public var server: String
    /// The state last posted (`idle`, `capturing`, `uploading`, `error`, `shutting_down`, `offline`), and when.
    public var agentState: String?
    public var agentStateSentAt: Date?
    /// Why the agent is in `error`: the lasting problem that blocks recording.
    public var problem: String?
    /// When the calendar was last read (a 200 or a 304), and the events it holds.
    public var lastCalendarFetch: Date?
    public var calendarEvents: Int
    /// Calendar reads answered 304 (unchanged), changed and failed, since roomrecd started.
    public var etagHits: Int
    public var calendarChanges: Int
    public var calendarFailures: Int
    /// The last request Opencast refused or did not answer, and when; cleared by the next success of the same kind.
    public var lastError: String?
    public var lastErrorAt: Date?

    public init(agent: String, server: String, agentState: String? = nil, agentStateSentAt: Date? = nil, problem: String? = nil,
                lastCalendarFetch: Date? = nil, calendarEvents: Int = 0, etagHits: Int = 0, calendarChanges: Int = 0, calendarFailures: Int = 0,
                lastError: String? = nil, lastErrorAt: Date? = nil) {
        self.agent = agent
        self.server = server
        self.agentState = agentState
        self.agentStateSentAt = agentStateSentAt
        self.problem = problem
        self.lastCalendarFetch = lastCalendarFetch
        self.calendarEvents = calendarEvents
        self.etagHits = etagHits
        self.calendarChanges = calendarChanges
        self.calendarFailures = calendarFailures
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}
