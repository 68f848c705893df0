import Foundation

/// Something a schedule source says should be recorded: a class of the timetable, an event of a calendar feed
/// or of Kaltura's schedule, or a booking made through the socket. Its times are those to record (a timetable
/// class's with its pre- and post-roll).
public struct PlannedEvent: Equatable, Sendable {
    /// Where it comes from, which decides who wins a conflict (``SchedulePlanner``) and what the schedule lists.
    public enum Origin: Equatable, Sendable {
        case timetable
        /// A calendar feed, by the name the schedule gives it (`calendar:<host>`).
        case calendar(feed: String)
        /// An event of Kaltura's schedule; its recording's entry copies the owner, co-editors and categories of
        /// the template entry, if it has one.
        case kaltura(eventID: String, templateEntryID: String?)
        /// An event of the agent's Opencast calendar, by its UID: its recording is ingested as that event.
        case opencast(eventID: String)
        /// Booked ad hoc through the control socket.
        case booking
    }

    /// Stable across reads of its source, so a class stopped by hand stays stopped.
    public var id: String
    /// The meeting title its recording is named after.
    public var title: String
    public var start: Date
    public var end: Date
    public var origin: Origin
    /// Cancelled in its source: listed by the schedule, never recorded.
    public var cancelled: Bool
    /// Breaks ties between events starting together: the earlier made comes first.
    public var createdAt: Date
    /// Who owns its recording when its source says (a Kaltura event's template entry); nil: the room type's rule.
    public var owner: String?

    public init(id: String, title: String, start: Date, end: Date, origin: Origin, cancelled: Bool = false, createdAt: Date = .distantPast,
                owner: String? = nil) {
        self.owner = owner
        self.id = id
        self.title = title
        self.start = start
        self.end = end
        self.origin = origin
        self.cancelled = cancelled
        self.createdAt = createdAt
    }

    /// The Kaltura entry whose co-editors and categories its recording's entry copies.
    public var templateEntryID: String? {
        if case .kaltura(_, let template) = origin { return template }
        return nil
    }

    /// The Opencast event it is, if it is one.
    public var opencastEventID: String? {
        if case .opencast(let uid) = origin { return uid }
        return nil
    }

    /// Planned by the room's schedule rather than asked for ad hoc.
    public var isScheduled: Bool { origin != .booking }

    /// The source as the schedule lists it: `timetable`, `calendar:<feed>`, `kaltura:<event id>`, `booking:<id>`.
    public var source: String {
        switch origin {
        case .timetable: "timetable"
        case .calendar(let feed): "calendar:\(feed)"
        case .kaltura(let eventID, _): "kaltura:\(eventID)"
        case .opencast(let eventID): "opencast:\(eventID)"
        case .booking: "booking:\(id)"
        }
    }
}
