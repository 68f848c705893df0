import Calendars
import Foundation
import RecorderCore

/// One source of planned recordings: the timetable, a calendar feed, Kaltura's schedule. A source that is
/// polled hands the schedule its latest good copy (``ScheduleService/use(_:)``), so the schedule itself never
/// waits on a network; the bookings made through the socket are read from the catalog beside these.
protocol ScheduleSource: Sendable {
    /// The name the schedule keeps it under and lists its events with (`timetable`, `calendar:<feed>`, `kaltura`).
    var name: String { get }
    /// Its events that overlap `from ..< to`, cancelled ones included and marked, with the times to record (the
    /// timetable's with its pre- and post-roll).
    func events(from: Date, to: Date) -> [PlannedEvent]
}

extension Timetable: ScheduleSource {
    var name: String { "timetable" }
}

/// The last good copy of one calendar feed. Its events are recorded at their own times: a capture agent's
/// calendar (Opencast's) already holds the times to record, so the timetable's pre- and post-roll are not added.
struct CalendarFeedSource: ScheduleSource {
    /// How the feed is listed: its host, numbered when two feeds share one (`calendar.example.edu#2`). Not the
    /// URL: a private feed's URL carries its secret.
    let feed: String
    let calendar: ICalendar

    var name: String { Self.name(feed) }

    static func name(_ feed: String) -> String { "calendar:\(feed)" }

    func events(from: Date, to: Date) -> [PlannedEvent] {
        calendar.occurrences(from: from, to: to).map { occurrence in
            PlannedEvent(id: "ical-\(occurrence.uid)-\(Int(occurrence.recurrenceID.timeIntervalSince1970))", title: occurrence.summary,
                         start: occurrence.start, end: occurrence.end,
                         origin: .calendar(feed: feed), cancelled: occurrence.cancelled, createdAt: occurrence.recurrenceID)
        }
    }

    /// The names of the configured feeds, in their order.
    static func feedNames(_ urls: [String]) -> [String: String] {
        var names: [String: String] = [:]
        var seen: [String: Int] = [:]
        for url in urls {
            let host = URL(string: url)?.host ?? "feed"
            seen[host, default: 0] += 1
            names[url] = seen[host] == 1 ? host : "\(host)#\(seen[host]!)"
        }
        return names
    }
}
