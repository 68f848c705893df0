import CICal
import Foundation

/// One VEVENT as the expansion needs it: its times as instants (Unix seconds), its start also as the wall-clock
/// time in its zone, which its recurrence rules count in (so a class at 09:00 stays at 09:00 across a
/// daylight-saving change). Holds pointers into the parsed tree, so it lives and dies with ``ICalendar``.
struct CalendarEvent {
    var uid: String
    var summary: String
    /// The line of its BEGIN:VEVENT.
    var line: Int
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

    var isRecurring: Bool { !rules.isEmpty || !extraDates.isEmpty }

    /// The end of an occurrence that starts at `start`.
    func end(startingAt start: Int) -> Int {
        guard days > 0 else { return start + duration }
        var local = icaltime_from_timet_with_zone(time_t(start), 0, zone)
        local.day += Int32(days)
        return Self.instant(icaltime_normalize(local), in: zone) + duration
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

/// Why one VEVENT cannot be used.
struct EventUnreadable: Error {
    var property: String?
    var reason: String
}

/// Reads the VEVENTs of a VCALENDAR into ``CalendarEvent``s.
struct CalendarEventReader {
    var zones: ZoneResolver
    /// The zone of times without one: the feed's X-WR-TIMEZONE, else the room's.
    let floatingZone: OpaquePointer

    /// The event, nil for one that is not a recording (all-day), or the reason it cannot be read.
    mutating func read(_ component: OpaquePointer, line: Int) throws(EventUnreadable) -> CalendarEvent? {
        for error in ICalComponent.properties(of: component, ICAL_XLICERROR_PROPERTY) {
            let message = String(cString: icalproperty_get_xlicerror(error))
            let property = Self.timeProperties.first { message.contains("in \($0) property") }
            if let property { throw EventUnreadable(property: property, reason: message) }
        }
        guard let startProperty = icalcomponent_get_first_property(component, ICAL_DTSTART_PROPERTY) else {
            throw EventUnreadable(property: nil, reason: "it has no DTSTART")
        }
        let localStart = icalproperty_get_dtstart(startProperty)
        // An all-day event (a holiday, a deadline) is not a class to record.
        if localStart.is_date != 0 { return nil }
        let (start, zone) = try instant(localStart, of: startProperty, name: "DTSTART")  // (seconds, zone)
        var event = CalendarEvent(uid: icalcomponent_get_uid(component).map { String(cString: $0) } ?? "", summary: "", line: line,
                                  cancelled: icalcomponent_get_status(component) == ICAL_STATUS_CANCELLED,
                                  localStart: localStart, zone: zone, start: start, duration: 0)
        event.localStart.zone = zone
        event.summary = icalcomponent_get_summary(component).map { String(cString: $0) } ?? ""
        if let end = icalcomponent_get_first_property(component, ICAL_DTEND_PROPERTY) {
            event.duration = max(0, try instant(icalproperty_get_dtend(end), of: end, name: "DTEND").seconds - event.start)
        } else if let duration = icalcomponent_get_first_property(component, ICAL_DURATION_PROPERTY) {
            let value = icalproperty_get_duration(duration)
            // An event takes no time before it starts: a negative duration (an alarm's) is not one.
            guard value.is_neg == 0 else { throw EventUnreadable(property: "DURATION", reason: "DURATION is negative") }
            event.days = Int(value.days) + 7 * Int(value.weeks)
            event.duration = Int(value.hours) * 3600 + Int(value.minutes) * 60 + Int(value.seconds)
        }
        for rule in ICalComponent.properties(of: component, ICAL_RRULE_PROPERTY) {
            event.rules.append(icalproperty_get_rrule(rule))
        }
        for rdate in ICalComponent.properties(of: component, ICAL_RDATE_PROPERTY) {
            let value = icalproperty_get_rdate(rdate)
            if icalperiodtype_is_null_period(value.period) == 0 {
                let begin = try instant(value.period.start, of: rdate, name: "RDATE").seconds
                let end = icaltime_is_null_time(value.period.end) == 0
                    ? try instant(value.period.end, of: rdate, name: "RDATE").seconds
                    : begin + Int(icaldurationtype_as_int(value.period.duration))
                event.extraDates.append((begin, end))
            } else if value.time.is_date == 0 {
                event.extraDates.append((start: try instant(value.time, of: rdate, name: "RDATE").seconds, end: Int?.none))
            }
        }
        for exdate in ICalComponent.properties(of: component, ICAL_EXDATE_PROPERTY) {
            let value = icalproperty_get_exdate(exdate)
            if value.is_date != 0 {
                event.excludedDays.insert(CalendarEvent.dayNumber(value))
            } else {
                event.excluded.insert(try instant(value, of: exdate, name: "EXDATE").seconds)
            }
        }
        if let recurrence = icalcomponent_get_first_property(component, ICAL_RECURRENCEID_PROPERTY) {
            event.recurrenceID = try instant(icalproperty_get_recurrenceid(recurrence), of: recurrence, name: "RECURRENCE-ID").seconds
            if let range = icalproperty_get_first_parameter(recurrence, ICAL_RANGE_PARAMETER) {
                event.thisAndFuture = icalparameter_get_range(range) == ICAL_RANGE_THISANDFUTURE
            }
        }
        return event
    }

    /// The instant of a time written in a property: UTC, with the property's TZID, or floating.
    private mutating func instant(_ time: icaltimetype, of property: OpaquePointer, name: String) throws(EventUnreadable)
        -> (seconds: Int, zone: OpaquePointer) {
        var zone = floatingZone
        if icaltime_is_utc(time) != 0 {
            zone = LibICal.utc
        } else if let parameter = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER),
                  let tzid = icalparameter_get_tzid(parameter).map({ String(cString: $0) }) {
            guard let resolved = zones.zone(tzid) else {
                throw EventUnreadable(property: name, reason: "\(name) is in the zone \"\(tzid)\", which is neither an IANA nor a Windows zone name "
                                      + "and has no VTIMEZONE in the feed")
            }
            zone = resolved
        }
        return (CalendarEvent.instant(time, in: zone), zone)
    }

    /// The properties that decide when an event takes place: an error in one of them makes the event unusable.
    static let timeProperties = ["DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"]
}
