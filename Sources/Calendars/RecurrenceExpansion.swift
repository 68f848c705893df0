import CICal
import Foundation

/// The occurrences of one UID in a window: the series (or single event) with its rules, extra dates and
/// exclusions, and its overrides. Run inside `LibICal.serialized`.
struct RecurrenceExpansion {
    let uid: String
    private let master: CalendarEvent?
    /// Overrides of one occurrence, by the start they replace.
    private var overrides: [Int: CalendarEvent] = [:]
    /// RANGE=THISANDFUTURE overrides, latest first: each changes its occurrence and every later one.
    private var futureOverrides: [CalendarEvent] = []

    /// A bound on the steps of one rule's walk in one expansion (an hourly rule walked from a DTSTART years back).
    static let occurrenceLimit = 20_000

    init(uid: String, events: [CalendarEvent]) {
        self.uid = uid
        master = events.first { $0.recurrenceID == nil }
        for event in events {
            guard let id = event.recurrenceID else { continue }
            overrides[id] = event
            if event.thisAndFuture { futureOverrides.append(event) }
        }
        futureOverrides.sort { $0.recurrenceID! > $1.recurrenceID! }
    }

    func occurrences(overlapping window: Range<Int>) -> [ICalendar.Occurrence] {
        var result: [ICalendar.Occurrence] = []
        func add(_ event: CalendarEvent, id: Int, start: Int, end: Int) {
            guard start < window.upperBound, end > window.lowerBound else { return }
            result.append(.init(uid: uid, recurrenceID: Date(timeIntervalSince1970: TimeInterval(id)), start: Date(timeIntervalSince1970: TimeInterval(start)),
                                end: Date(timeIntervalSince1970: TimeInterval(end)), summary: event.summary, cancelled: event.cancelled,
                                attachments: event.attachments))
        }
        if let master {
            // Looking as far back and ahead as an occurrence can reach into the window: its length, and how far an
            // override moves the later ones.
            let shift = futureOverrides.map { abs($0.start - $0.recurrenceID!) }.max() ?? 0
            let longest = ([master.longest] + futureOverrides.map(\.longest) + master.extraDates.compactMap { extra in extra.end.map { $0 - extra.start } }).max() ?? 0
            let reach = (window.lowerBound - longest - shift)..<(window.upperBound + shift)
            for (id, periodEnd) in starts(of: master, in: reach) where overrides[id] == nil {
                if let future = futureOverrides.first(where: { $0.recurrenceID! <= id }) {
                    // Moved as the override moved its own occurrence, by the wall clock: 09:00 to 10:00 stays an
                    // hour later on the far side of a daylight-saving change.
                    let move = master.wallClock(future.start) - master.wallClock(future.recurrenceID!)
                    let start = master.instant(atWallClock: master.wallClock(id) + move)
                    add(future, id: id, start: start, end: future.end(startingAt: start))
                } else {
                    add(master, id: id, start: id, end: periodEnd ?? master.end(startingAt: id))
                }
            }
        }
        for (id, override) in overrides { add(override, id: id, start: override.start, end: override.end(startingAt: override.start)) }
        return result
    }

    /// The starts the series has in `reach` (with the end of an RDATE period), exclusions taken out.
    private func starts(of event: CalendarEvent, in reach: Range<Int>) -> [(Int, Int?)] {
        var starts: [Int: Int?] = [:]
        if reach.contains(event.start) { starts[event.start] = .some(nil) }
        for extra in event.extraDates where reach.contains(extra.start) { starts[extra.start] = extra.end }
        for rule in event.rules {
            for start in ruleStarts(rule, of: event, in: reach) where starts[start] == nil { starts[start] = .some(nil) }
        }
        return starts.filter { !event.excluded.contains($0.key) && (event.excludedDays.isEmpty || !event.excludedDays.contains(event.day(of: $0.key))) }
            .map { ($0.key, $0.value) }
    }

    /// The starts one RRULE gives in `reach`, counted by the wall clock of the event's zone. Without COUNT the
    /// iterator is moved to the window first, so a series begun years ago costs no more than a new one. (Not an
    /// hourly rule with an INTERVAL: libical 3.0 aligns such a rule by the hour of the day alone when moved.)
    private func ruleStarts(_ rule: icalrecurrencetype, of event: CalendarEvent, in reach: Range<Int>) -> [Int] {
        guard let iterator = icalrecur_iterator_new(rule, event.localStart) else { return [] }
        defer { icalrecur_iterator_free(iterator) }
        let movable = rule.count == 0 && !(rule.freq == ICAL_HOURLY_RECURRENCE && rule.interval > 1)
        if movable, reach.lowerBound > event.start {
            var from = icaltime_from_timet_with_zone(time_t(reach.lowerBound), 0, event.zone)
            from.zone = event.localStart.zone
            // 0: the iterator cannot start there (libical answers so for COUNT, which is never moved).
            if icalrecur_iterator_set_start(iterator, from) == 0 { return [] }
        }
        var result: [Int] = []
        for _ in 0..<Self.occurrenceLimit {
            var next = icalrecur_iterator_next(iterator)
            guard icaltime_is_null_time(next) == 0 else { break }
            next.zone = event.localStart.zone
            let instant = CalendarEvent.instant(next, in: event.zone)
            if instant >= reach.upperBound { break }
            if instant >= reach.lowerBound { result.append(instant) }
        }
        return result
    }
}
