import Foundation

/// Decides from the planned events what is recorded when: the conflict rule, in one place.
///
/// - Overlapping or touching events are one recording, so nothing is recorded twice.
/// - Scheduled beats ad hoc: the recording is named after the scheduled event that starts first; a booking only
///   names a recording no scheduled event is part of.
/// - With ``OverlapRule/split`` (for sites that publish one recording per class), a scheduled event that starts
///   while another runs ends that recording and starts its own.
/// - An Opencast event is one episode, recorded at its own times (ingested under its UID): it starts a recording
///   of its own, also beside a touching event; a class it interrupts goes on in a recording after it, and one
///   that starts during it is recorded from its end. What joins it ad hoc (a booking, an extension) merges.
/// - Cancelled events are never recorded.
///
/// An ad-hoc recording running when a block starts is adopted by it, and a block's end can be moved by an
/// extension (a booking touching it): both are the schedule service's, with this planner's blocks.
public struct SchedulePlanner: Sendable {
    /// What happens when scheduled events overlap (`[schedule] overlap`).
    public enum OverlapRule: String, Equatable, Sendable, CaseIterable {
        /// One recording, named after the one that started first.
        case merge
        /// Each its own recording: a later start ends the earlier one's.
        case split
    }

    /// One stretch of time recorded without a break, as one recording.
    public struct Block: Equatable, Sendable {
        public var start: Date
        public var end: Date
        public var title: String
        /// The event it is named after.
        public var leadID: String
        /// The events it records, earliest first.
        public var eventIDs: [String]
        /// The owner and the Kaltura template entry its lead event gives its recording, if any.
        public var owner: String?
        public var templateEntryID: String?
        /// The Opencast event its recording is ingested as, when its lead event is one.
        public var opencastEventID: String?

        public init(start: Date, end: Date, title: String, leadID: String? = nil, eventIDs: [String], owner: String? = nil, templateEntryID: String? = nil) {
            self.start = start
            self.end = end
            self.title = title
            self.leadID = leadID ?? eventIDs.first ?? ""
            self.eventIDs = eventIDs
            self.owner = owner
            self.templateEntryID = templateEntryID
        }

        init(leading event: PlannedEvent) {
            self.init(start: event.start, end: event.end, title: event.title, leadID: event.id, eventIDs: [event.id], owner: event.owner,
                      templateEntryID: event.templateEntryID)
            opencastEventID = event.opencastEventID
        }

        mutating func lead(_ event: PlannedEvent) {
            title = event.title
            leadID = event.id
            owner = event.owner
            templateEntryID = event.templateEntryID
            opencastEventID = event.opencastEventID
        }

        /// The same block as `other` while they share an event, even if an event added or removed since has moved
        /// its start or end.
        public func isSame(as other: Block) -> Bool { !Set(eventIDs).isDisjoint(with: other.eventIDs) }
    }

    public var events: [PlannedEvent]
    public var rule: OverlapRule
    /// The merged blocks, in time order.
    public let blocks: [Block]

    public init(events: [PlannedEvent], rule: OverlapRule = .merge) {
        self.events = events
        self.rule = rule
        blocks = Self.blocks(of: events, rule: rule)
    }

    /// The block that covers `now`, if any.
    public func block(at now: Date) -> Block? {
        blocks.first { $0.start <= now && now < $0.end }
    }

    /// When the answer of ``block(at:)`` next changes after `now`: the next start or end of a block.
    public func nextChange(after now: Date) -> Date? {
        blocks.flatMap { [$0.start, $0.end] }.filter { $0 > now }.min()
    }

    /// The events under way at `now` (cancelled ones not).
    public func events(at now: Date) -> [PlannedEvent] {
        events.filter { !$0.cancelled && $0.start <= now && now < $0.end }
    }

    /// The block an event is recorded in; nil for a cancelled one or one that takes no time.
    public func block(of eventID: String) -> Block? {
        blocks.first { $0.eventIDs.contains(eventID) }
    }

    private static func blocks(of events: [PlannedEvent], rule: OverlapRule) -> [Block] {
        // Scheduled before ad hoc; of events that start together, an Opencast event first: it leads its episode.
        let ordered = events.filter { !$0.cancelled && $0.end > $0.start }.sorted {
            ($0.start, $0.isScheduled ? 0 : 1, $0.opencastEventID == nil ? 1 : 0, $0.createdAt, $0.id)
                < ($1.start, $1.isScheduled ? 0 : 1, $1.opencastEventID == nil ? 1 : 0, $1.createdAt, $1.id)
        }
        var result: [Block] = []
        /// The event that leads the last block.
        var lead: PlannedEvent?
        for event in ordered {
            guard let last = result.last, let leading = lead, event.start <= last.end else {
                result.append(Block(leading: event))
                lead = event
                continue
            }
            let bothScheduled = event.isScheduled && leading.isScheduled
            if bothScheduled, leading.opencastEventID != nil, event.opencastEventID == nil {
                // An Opencast episode keeps its own times: a class that overlaps or follows it is recorded after it.
                if event.end > last.end {
                    var next = Block(leading: event)
                    next.start = last.end
                    result.append(next)
                    lead = event
                } else {
                    result[result.count - 1].eventIDs.append(event.id)
                }
                continue
            }
            if bothScheduled, rule == .split || event.opencastEventID != nil, event.start > max(leading.start, last.start) {
                // The running class's recording ends where this one's begins.
                result[result.count - 1].end = event.start
                var next = Block(leading: event)
                lead = event
                if event.opencastEventID == nil {
                    next.end = max(event.end, last.end)
                    result.append(next)
                    continue
                }
                // An Opencast event is one episode at its own times; the rest of the class it interrupted follows it.
                result.append(next)
                if last.end > event.end {
                    var rest = Block(leading: leading)
                    rest.start = event.end
                    rest.end = last.end
                    rest.eventIDs = last.eventIDs
                    result.append(rest)
                    lead = leading
                }
                continue
            }
            result[result.count - 1].end = max(last.end, event.end)
            result[result.count - 1].eventIDs.append(event.id)
            if event.isScheduled, !leading.isScheduled {
                // Scheduled beats ad hoc: the class names the recording a booking began.
                result[result.count - 1].lead(event)
                lead = event
            }
        }
        return result
    }
}
