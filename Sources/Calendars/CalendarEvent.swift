import CICal
import Foundation

/// One VEVENT as the expansion needs it: its times as instants (Unix seconds), its start also as the wall-clock
/// time in its zone, which its recurrence rules count in (so a class at 09:00 stays at 09:00 across a
/// daylight-saving change). Holds pointers into the parsed tree, so it lives and dies with ``ICalendar``.
struct CalendarEvent {
    var uid: String
    var summary: String
    var cancelled: Bool
    /// DTSTART by the wall clock of its zone (`zone` attached).
    var localStart: icaltimetype
    var zone: OpaquePointer
    var start: Int
    /// How long each occurrence lasts, from DTEND or DURATION (0 without either): whole days (DURATION's days
    /// and weeks, which RFC 5545 counts on the wall clock, so P1D across a daylight-saving change is 23 or 25
    /// hours) and exact seconds.
    var days = 0
    var duration: Int
    var rules: [icalrecurrencetype] = []
    /// RDATE values: a start, and an end when the value is a PERIOD.
    var extraDates: [(start: Int, end: Int?)] = []
    var excluded: Set<Int> = []
    /// EXDATE values that are dates: every occurrence on that day (in the event's zone) is excluded.
    var excludedDays: Set<Int> = []
    /// On an override: the original start of the occurrence it replaces, and whether it also changes the later
    /// ones (RANGE=THISANDFUTURE).
    var recurrenceID: Int?
    var thisAndFuture = false
    /// Inline (base64) ATTACH values by file name (`X-APPLE-FILENAME` or `FILENAME`), as Opencast sends each
    /// event's Dublin Core and capture-agent properties.
    var attachments: [String: Data] = [:]

    /// The end of an occurrence that starts at `start`.
    func end(startingAt start: Int) -> Int {
        guard days > 0 else { return start + duration }
        var local = icaltime_from_timet_with_zone(time_t(start), 0, zone)
        local.day += Int32(days)
        return Self.instant(icaltime_normalize(local), in: zone) + duration
    }

    /// Seconds since 1970 of an instant's wall-clock time in this event's zone, counted as if that zone had no
    /// daylight saving: differences of these are wall-clock differences (09:00 to 10:00 is an hour on any day).
    func wallClock(_ instant: Int) -> Int {
        var local = icaltime_from_timet_with_zone(time_t(instant), 0, zone)
        local.zone = nil
        return Int(icaltime_as_timet(local))
    }

    /// The instant whose wall-clock time in this event's zone is ``wallClock(_:)`` = `seconds`.
    func instant(atWallClock seconds: Int) -> Int {
        var local = icaltime_from_timet_with_zone(time_t(seconds), 0, nil)
        local.zone = zone
        return Self.instant(local, in: zone)
    }

    /// The longest an occurrence can last, for how far back a window must look.
    var longest: Int { days * 86400 + 3600 + duration }

    /// The instant of a wall-clock time in `zone`. A time a daylight-saving change repeats is its first instance,
    /// as RFC 5545 says (libical gives the second).
    static func instant(_ local: icaltimetype, in zone: OpaquePointer) -> Int {
        let instant = Int(icaltime_as_timet_with_zone(local, zone))
        if zone == LibICal.utc { return instant }
        let hourBefore = icaltime_from_timet_with_zone(time_t(instant - 3600), 0, zone)
        let repeated = (hourBefore.year, hourBefore.month, hourBefore.day, hourBefore.hour, hourBefore.minute, hourBefore.second)
            == (local.year, local.month, local.day, local.hour, local.minute, local.second)
        return repeated ? instant - 3600 : instant
    }

    /// The day number (days since 1970 by the event's wall clock) of an instant, to match date-only EXDATEs.
    func day(of instant: Int) -> Int {
        let local = icaltime_from_timet_with_zone(time_t(instant), 0, zone)
        return Self.dayNumber(local)
    }

    static func dayNumber(_ time: icaltimetype) -> Int {
        var date = time
        date.hour = 0; date.minute = 0; date.second = 0; date.is_date = 0; date.zone = nil
        return Int(icaltime_as_timet(date)) / 86400
    }
}
