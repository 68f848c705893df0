import CICal
import Foundation

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
    mutating func read(_ component: OpaquePointer) throws(EventUnreadable) -> CalendarEvent? {
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
        let (start, zone) = try instant(localStart, of: startProperty, name: "DTSTART", floating: floatingZone)
        // Other times without a zone are in DTSTART's zone: an EXDATE written like its DTSTART must match it.
        func time(_ time: icaltimetype, of property: OpaquePointer, name: String) throws(EventUnreadable) -> (seconds: Int, zone: OpaquePointer) {
            try instant(time, of: property, name: name, floating: zone)
        }
        var event = CalendarEvent(uid: icalcomponent_get_uid(component).map { String(cString: $0) } ?? "", summary: "",
                                  cancelled: icalcomponent_get_status(component) == ICAL_STATUS_CANCELLED,
                                  localStart: localStart, zone: zone, start: start, duration: 0)
        event.localStart.zone = zone
        event.summary = icalcomponent_get_summary(component).map { String(cString: $0) } ?? ""
        if let end = icalcomponent_get_first_property(component, ICAL_DTEND_PROPERTY) {
            event.duration = max(0, try time(icalproperty_get_dtend(end), of: end, name: "DTEND").seconds - event.start)
        } else if let duration = icalcomponent_get_first_property(component, ICAL_DURATION_PROPERTY) {
            let value = icalproperty_get_duration(duration)
            // An event takes no time before it starts: a negative duration (an alarm's) is not one.
            guard value.is_neg == 0 else { throw EventUnreadable(property: "DURATION", reason: "DURATION is negative") }
            event.days = Int(value.days) + 7 * Int(value.weeks)
            event.duration = Int(value.hours) * 3600 + Int(value.minutes) * 60 + Int(value.seconds)
        }
        for property in ICalComponent.properties(of: component, ICAL_RRULE_PROPERTY) {
            event.rules.append(try Self.expandable(icalproperty_get_rrule(property), of: event))
        }
        for rdate in ICalComponent.properties(of: component, ICAL_RDATE_PROPERTY) {
            let value = icalproperty_get_rdate(rdate)
            if icalperiodtype_is_null_period(value.period) == 0 {
                let begin = try time(value.period.start, of: rdate, name: "RDATE").seconds
                let end = icaltime_is_null_time(value.period.end) == 0
                    ? try time(value.period.end, of: rdate, name: "RDATE").seconds
                    : begin + Int(icaldurationtype_as_int(value.period.duration))
                event.extraDates.append((begin, end))
            } else if value.time.is_date == 0 {
                event.extraDates.append((start: try time(value.time, of: rdate, name: "RDATE").seconds, end: Int?.none))
            }
        }
        for exdate in ICalComponent.properties(of: component, ICAL_EXDATE_PROPERTY) {
            let value = icalproperty_get_exdate(exdate)
            if value.is_date != 0 {
                event.excludedDays.insert(CalendarEvent.dayNumber(value))
            } else {
                event.excluded.insert(try time(value, of: exdate, name: "EXDATE").seconds)
            }
        }
        for attach in ICalComponent.properties(of: component, ICAL_ATTACH_PROPERTY) {
            if let (name, data) = Self.inlineAttachment(attach) { event.attachments[name] = data }
        }
        if let recurrence = icalcomponent_get_first_property(component, ICAL_RECURRENCEID_PROPERTY) {
            event.recurrenceID = try time(icalproperty_get_recurrenceid(recurrence), of: recurrence, name: "RECURRENCE-ID").seconds
            if let range = icalproperty_get_first_parameter(recurrence, ICAL_RANGE_PARAMETER) {
                event.thisAndFuture = icalparameter_get_range(range) == ICAL_RANGE_THISANDFUTURE
            }
        }
        return event
    }

    /// An inline attachment's file name and decoded bytes; nil for a URL, or one without a name or whose data
    /// is not base64.
    static func inlineAttachment(_ property: OpaquePointer) -> (String, Data)? {
        guard let attach = icalproperty_get_attach(property), icalattach_get_is_url(attach) == 0,
              let bytes = icalattach_get_data(attach) else { return nil }
        var name: String?
        var parameter = icalproperty_get_first_parameter(property, ICAL_ANY_PARAMETER)
        while let current = parameter, name == nil {
            if icalparameter_isa(current) == ICAL_X_PARAMETER, let xname = icalparameter_get_xname(current),
               ["X-APPLE-FILENAME", "FILENAME"].contains(String(cString: xname).uppercased()), let value = icalparameter_get_xvalue(current) {
                name = String(cString: value)
            } else if icalparameter_isa(current) == ICAL_IANA_PARAMETER, let iana = icalparameter_get_iana_name(current),
                      String(cString: iana).uppercased() == "FILENAME", let value = icalparameter_get_iana_value(current) {
                name = String(cString: value)
            }
            parameter = icalproperty_get_next_parameter(property, ICAL_ANY_PARAMETER)
        }
        let text = String(cString: UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self)).filter { !$0.isWhitespace }
        guard let name, let data = Data(base64Encoded: text) else { return nil }
        return (name, data)
    }

    /// A rule as libical can walk it, or why the event cannot be used. A rule that repeats every minute or second
    /// is refused: libical walks such a rule one step at a time, and one that never matches (the 30th of
    /// February every minute) would hold the schedule for hours. An UNTIL that is a date, on a series with a
    /// time, includes that day (libical would end the day before, where the rule's times fall after midnight).
    static func expandable(_ rule: icalrecurrencetype, of event: CalendarEvent) throws(EventUnreadable) -> icalrecurrencetype {
        var rule = rule
        let text = { () -> String in
            var copy = rule
            return icalrecurrencetype_as_string(&copy).map { String(cString: $0) } ?? "RRULE"
        }
        if rule.freq == ICAL_SECONDLY_RECURRENCE || rule.freq == ICAL_MINUTELY_RECURRENCE {
            throw EventUnreadable(property: "RRULE", reason: "RRULE \(text()) repeats every minute or second, which is not a class to record")
        }
        if icaltime_is_null_time(rule.until) == 0, rule.until.is_date != 0 {
            rule.until.is_date = 0
            (rule.until.hour, rule.until.minute, rule.until.second) = (23, 59, 59)
            rule.until.zone = event.localStart.zone
        }
        guard let iterator = icalrecur_iterator_new(rule, event.localStart) else {
            throw EventUnreadable(property: "RRULE", reason: "libical cannot walk RRULE \(text()) from DTSTART")
        }
        icalrecur_iterator_free(iterator)
        return rule
    }

    /// The instant of a time written in a property: UTC, with the property's TZID, or floating (in `floating`).
    private mutating func instant(_ time: icaltimetype, of property: OpaquePointer, name: String, floating: OpaquePointer) throws(EventUnreadable)
        -> (seconds: Int, zone: OpaquePointer) {
        var zone = floating
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
