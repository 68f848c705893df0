import CICal
import Foundation

/// An iCalendar feed (RFC 5545) read by libical, the engine of Evolution and KDE, and asked for the timed
/// occurrences in a window: every recurrence rule RFC 5545 allows, several RRULEs, RDATE (date-times and
/// periods), EXDATE, RECURRENCE-ID overrides (also RANGE=THISANDFUTURE), STATUS:CANCELLED on an event or one
/// occurrence, DURATION, the feed's VTIMEZONEs, Windows zone names and X-WR-TIMEZONE. All-day events are not
/// recordings and are left out.
///
/// An event that cannot be read costs only itself: it is in ``skipped`` with its UID and line, and the rest of
/// the feed is used. Only a text that is not a calendar at all (a login page, a download cut short) is refused.
public final class ICalendar: @unchecked Sendable {
    // Sendable: the parsed tree and the events pointing into it are never changed after `init`, and every read
    // of them runs inside `LibICal.serialized`, which also guards libical's own caches.

    /// One occurrence of an event.
    public struct Occurrence: Equatable, Sendable {
        public var uid: String
        /// The start this occurrence has by the rules, before any override moved it: with the UID, the name of
        /// the occurrence, which stays the same when the feed moves it.
        public var recurrenceID: Date
        public var start: Date
        public var end: Date
        public var summary: String
        public var cancelled: Bool
        /// The event's inline attachments by file name (Opencast's `episode.xml`, its capture-agent properties).
        public var attachments: [String: Data] = [:]
    }

    /// An event left out, and why.
    public struct SkippedEvent: Equatable, Sendable, CustomStringConvertible {
        public var uid: String?
        public var line: Int
        public var reason: String
        public var description: String { "event \(uid.map { "\"\($0)\"" } ?? "without a UID") at line \(line): \(reason)" }
    }

    /// A text that is not a calendar.
    public struct FeedRefused: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Events that could not be read, in the order of the feed.
    public let skipped: [SkippedEvent]
    /// How many timed events (series count once) the feed has.
    public let eventCount: Int
    private let root: ICalComponent
    /// By UID: the series or single event, and its overrides.
    private let events: [String: [CalendarEvent]]

    /// Reads a feed. Floating times (no zone) are in the feed's X-WR-TIMEZONE if it names a known zone, else in
    /// `defaultTimeZone`.
    public init(parsing text: String, defaultTimeZone: TimeZone = .current) throws(FeedRefused) {
        let outline = FeedOutline(text)
        guard outline.begins else { throw FeedRefused(message: "this is not an iCalendar feed (it does not begin with BEGIN:VCALENDAR)") }
        guard outline.ends else {
            throw FeedRefused(message: "the feed ends at line \(outline.lastLine) before END:VCALENDAR (cut short?)")
        }
        let parsed: (ICalComponent, [String: [CalendarEvent]], [SkippedEvent], Int)? = LibICal.serialized { () -> (ICalComponent, [String: [CalendarEvent]], [SkippedEvent], Int)? in
            guard let root = ICalComponent(parsing: outline.repaired(text) ?? text) else { return nil }
            let calendars = root.kind == ICAL_VCALENDAR_COMPONENT ? [root.pointer] : root.children(ICAL_VCALENDAR_COMPONENT)
            var events: [String: [CalendarEvent]] = [:]
            var skipped: [SkippedEvent] = []
            var index = 0
            var count = 0
            for calendar in calendars {
                let floating = Self.wrTimeZone(calendar).flatMap(ZoneResolver.systemZone)
                    ?? LibICal.builtinZone(defaultTimeZone.identifier) ?? LibICal.utc
                var reader = CalendarEventReader(zones: ZoneResolver(calendar: calendar), floatingZone: floating)
                // Every VEVENT below the calendar, not only its children: libical closes whatever is open at an END,
                // so after an event that leaves its VALARM open, the next events are nested in that one.
                for component in ICalComponent.descendants(of: calendar, ICAL_VEVENT_COMPONENT) {
                    let lines = outline.lines(ofEvent: index, uid: icalcomponent_get_uid(component).map { String(cString: $0) })
                    index += 1
                    do throws(EventUnreadable) {
                        guard let event = try reader.read(component) else { continue }
                        // Without a UID, an event is named by what it is, so the name outlives edits elsewhere in the feed.
                        let uid = event.uid.isEmpty ? "no-uid-\(event.start)-\(event.summary)" : event.uid
                        events[uid, default: []].append(event)
                        if event.recurrenceID == nil { count += 1 }
                    } catch {
                        skipped.append(SkippedEvent(uid: lines.uid, line: error.property.map(lines.line(of:)) ?? lines.begin, reason: error.reason))
                    }
                }
            }
            return (root, events, skipped, count)
        }
        guard let parsed else { throw FeedRefused(message: "libical found no calendar in the feed") }
        (root, events, skipped, eventCount) = parsed
    }

    /// The occurrences that overlap `from ..< to`, earliest first, cancelled ones included (and marked), so a
    /// schedule can say why a class will not be recorded. Expansion starts at the window, not at a series' first
    /// day, however long ago that was.
    public func occurrences(from: Date, to: Date) -> [Occurrence] {
        let window = Int(from.timeIntervalSince1970.rounded(.down))..<Int(to.timeIntervalSince1970.rounded(.up))
        return LibICal.serialized {
            var result: [Occurrence] = []
            for (uid, group) in events {
                result += RecurrenceExpansion(uid: uid, events: group).occurrences(overlapping: window)
            }
            return result.sorted { ($0.start, $0.uid) < ($1.start, $1.uid) }
        }
    }

    private static func wrTimeZone(_ calendar: OpaquePointer) -> String? {
        for property in ICalComponent.properties(of: calendar, ICAL_X_PROPERTY) {
            guard let name = icalproperty_get_x_name(property), String(cString: name).uppercased() == "X-WR-TIMEZONE",
                  let value = icalproperty_get_x(property) else { continue }
            return String(cString: value)
        }
        return nil
    }
}
