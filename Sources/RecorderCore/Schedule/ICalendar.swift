import Foundation

/// The events of an iCalendar feed (RFC 5545), as lecture-capture systems such as Opencast publish a capture
/// agent's schedule: VEVENTs with DTSTART and DTEND (or DURATION), in UTC, with a TZID or floating; SUMMARY as the
/// meeting title; STATUS:CANCELLED; RRULE with FREQ=DAILY or WEEKLY, INTERVAL, COUNT, UNTIL and BYDAY; EXDATE; and
/// RECURRENCE-ID for an occurrence moved or cancelled on its own. All-day events are not recordings and are left
/// out.
public struct ICalendar: Equatable, Sendable {
    /// A recurrence rule (the subset named above).
    public struct Rule: Equatable, Sendable {
        public enum Frequency: String, Sendable { case daily = "DAILY", weekly = "WEEKLY" }
        public var frequency: Frequency
        public var interval = 1
        public var count: Int?
        public var until: Date?
        /// Weekdays, 1 = Sunday … 7 = Saturday.
        public var byDay: Set<Int> = []
    }

    /// One VEVENT.
    public struct Event: Equatable, Sendable {
        public var uid: String
        public var summary: String
        public var start: Date
        public var end: Date
        /// The zone its wall-clock times are in (for recurrences across daylight-saving changes).
        public var timeZone: TimeZone
        public var cancelled = false
        public var rule: Rule?
        public var exceptions: Set<Date> = []
        /// Set on an override of one occurrence: the start of the occurrence it replaces.
        public var recurrenceId: Date?
    }

    /// A feed that cannot be read, with the line at fault.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public var events: [Event]

    /// Parses a feed. Times without a zone are taken in `defaultTimeZone`; a TZID that is not an IANA zone name
    /// is too.
    public static func parse(_ text: String, defaultTimeZone: TimeZone = .current) throws(ParseError) -> ICalendar {
        var events: [Event] = []
        var current: [(name: String, params: [String: String], value: String, line: Int)]?
        var depth = 0  // nesting inside the VEVENT (VALARM)
        var ended = false
        var lastLine = 0
        for (line, content) in unfolded(text) {
            let property = parseLine(content)
            lastLine = line
            if property.name == "END", property.value.uppercased() == "VCALENDAR", current == nil { ended = true }
            if property.name == "BEGIN", property.value.uppercased() == "VEVENT", current == nil {
                current = []
                continue
            }
            guard current != nil else { continue }
            if property.name == "BEGIN" { depth += 1; continue }
            if property.name == "END", depth > 0 { depth -= 1; continue }
            if property.name == "END", property.value.uppercased() == "VEVENT" {
                if let event = try event(from: current!, endLine: line, defaultTimeZone: defaultTimeZone) { events.append(event) }
                current = nil
                continue
            }
            if depth == 0 { current!.append((property.name, property.params, property.value, line)) }
        }
        // A download cut short must not pass for a schedule with fewer classes.
        guard ended, current == nil else {
            throw ParseError(line: lastLine, message: "the feed ends before END:VCALENDAR (cut short?)")
        }
        return ICalendar(events: events)
    }

    /// The occurrences that overlap `from ..< to`, as bookings (id `ical-<uid>-<start>`), cancelled ones left out.
    public func bookings(from: Date, to: Date) -> [Booking] {
        var result: [Booking] = []
        let overrides = events.filter { $0.recurrenceId != nil }
        for event in events where event.recurrenceId == nil {
            for start in occurrences(of: event, until: to) {
                let replaced = overrides.first { $0.uid == event.uid && $0.recurrenceId == start }
                let occurrence = replaced ?? event
                guard !occurrence.cancelled, !event.exceptions.contains(start) else { continue }
                let begin = replaced?.start ?? start
                let end = replaced?.end ?? start.addingTimeInterval(event.end.timeIntervalSince(event.start))
                guard end > from, begin < to, end > begin else { continue }
                result.append(Booking(bookingId: "ical-\(event.uid)-\(Int(start.timeIntervalSince1970))", title: occurrence.summary,
                                      start: begin, end: end, createdBy: "calendar", createdAt: event.start))
            }
        }
        return result.sorted { $0.start < $1.start }
    }

    /// The starts of an event's occurrences up to `limit` (in its zone's wall-clock time, so 09:00 stays 09:00
    /// across a daylight-saving change).
    func occurrences(of event: Event, until limit: Date) -> [Date] {
        guard let rule = event.rule else { return [event.start] }
        let calendar = WallClock.calendar(event.timeZone)
        let time = calendar.dateComponents([.hour, .minute, .second], from: event.start)
        let firstDay = calendar.startOfDay(for: event.start)
        let weekdays = rule.byDay.isEmpty ? [calendar.component(.weekday, from: event.start)] : rule.byDay
        var starts: [Date] = []
        var day = firstDay
        var emitted = 0
        // A bound on the walk: at most ten years of days.
        for _ in 0..<3660 {
            let offset = calendar.dateComponents([.day], from: firstDay, to: day).day ?? 0
            let matches: Bool
            switch rule.frequency {
            case .daily: matches = offset % rule.interval == 0
            case .weekly:
                // Weeks counted from the week of the first occurrence (weeks start on Monday, RFC 5545's WKST).
                let week = (offset + (calendar.component(.weekday, from: firstDay) + 5) % 7) / 7
                matches = week % rule.interval == 0 && weekdays.contains(calendar.component(.weekday, from: day))
            }
            if matches, let start = calendar.date(bySettingHour: time.hour ?? 0, minute: time.minute ?? 0, second: time.second ?? 0, of: day),
               start >= event.start {
                if let until = rule.until, start > until { break }
                if start > limit { break }
                starts.append(start)
                emitted += 1
                if let count = rule.count, emitted >= count { break }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day), next <= limit else { break }
            day = next
        }
        return starts
    }

    // MARK: Parsing

    /// Content lines with folding undone (RFC 5545 3.1), each with the number of its first physical line.
    static func unfolded(_ text: String) -> [(Int, String)] {
        var lines: [(Int, String)] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1].1 += line.dropFirst()
            } else if !line.isEmpty {
                lines.append((index + 1, line))
            }
        }
        return lines
    }

    /// `NAME;PARAM=VALUE;…:value`, with quoted parameter values.
    static func parseLine(_ line: String) -> (name: String, params: [String: String], value: String) {
        var inQuotes = false
        var colon: String.Index?
        for index in line.indices {
            if line[index] == "\"" { inQuotes.toggle() }
            if line[index] == ":", !inQuotes { colon = index; break }
        }
        guard let colon else { return (line.uppercased(), [:], "") }
        let head = line[..<colon].split(separator: ";")
        var params: [String: String] = [:]
        for param in head.dropFirst() {
            let pair = param.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { params[pair[0].uppercased()] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return (String(head.first ?? "").uppercased(), params, String(line[line.index(after: colon)...]))
    }

    private static func event(from properties: [(name: String, params: [String: String], value: String, line: Int)], endLine: Int,
                              defaultTimeZone: TimeZone) throws(ParseError) -> Event? {
        func first(_ name: String) -> (params: [String: String], value: String, line: Int)? {
            properties.first { $0.name == name }.map { ($0.params, $0.value, $0.line) }
        }
        guard let startProperty = first("DTSTART") else { throw ParseError(line: endLine, message: "a VEVENT without DTSTART") }
        // An all-day event (a holiday, a note) is not a class to record.
        if startProperty.params["VALUE"]?.uppercased() == "DATE" || startProperty.value.trimmingCharacters(in: .whitespaces).count == 8 { return nil }
        let zone = startProperty.params["TZID"].flatMap(TimeZone.init(identifier:)) ?? defaultTimeZone
        guard let start = date(startProperty.value, params: startProperty.params, zone: zone) else {
            throw ParseError(line: startProperty.line, message: "DTSTART \"\(startProperty.value)\" is not a date or date-time")
        }
        var end: Date
        if let endProperty = first("DTEND") {
            guard let parsed = date(endProperty.value, params: endProperty.params, zone: zone) else {
                throw ParseError(line: endProperty.line, message: "DTEND \"\(endProperty.value)\" is not a date or date-time")
            }
            end = parsed
        } else if let duration = first("DURATION") {
            // An event takes no time before it starts: a negative duration (an alarm's) is not one.
            guard !duration.value.hasPrefix("-"), let span = TimeSpan(iCalendarText: duration.value) else {
                throw ParseError(line: duration.line, message: "DURATION \"\(duration.value)\" is not a duration such as PT1H30M")
            }
            end = start.addingTimeInterval(span.timeInterval)
        } else {
            end = start  // RFC 5545: without DTEND or DURATION a date-time event takes no time
        }
        if end < start { end = start }
        let uid = first("UID")?.value ?? "\(Int(start.timeIntervalSince1970))"
        var event = Event(uid: uid, summary: unescape(first("SUMMARY")?.value ?? ""), start: start, end: end, timeZone: zone)
        event.cancelled = first("STATUS")?.value.uppercased() == "CANCELLED"
        if let recurrence = first("RECURRENCE-ID") {
            event.recurrenceId = date(recurrence.value, params: recurrence.params, zone: zone)
        }
        if let rule = first("RRULE") {
            guard let parsed = Self.rule(rule.value, zone: zone) else {
                throw ParseError(line: rule.line, message: "RRULE \"\(rule.value)\" is not supported (FREQ=DAILY or WEEKLY with INTERVAL, COUNT, UNTIL, BYDAY)")
            }
            event.rule = parsed
        }
        for exdate in properties where exdate.name == "EXDATE" {
            let exZone = exdate.params["TZID"].flatMap(TimeZone.init(identifier:)) ?? zone
            for value in exdate.value.split(separator: ",") {
                guard let excluded = date(String(value), params: exdate.params, zone: exZone) else {
                    throw ParseError(line: exdate.line, message: "EXDATE \"\(value)\" is not a date or date-time")
                }
                event.exceptions.insert(excluded)
            }
        }
        return event
    }

    /// `20261123T090000Z` (UTC), `20261123T090000` (in `zone`), or `20261123` (a whole day, from midnight).
    static func date(_ text: String, params: [String: String] = [:], zone: TimeZone) -> Date? {
        let value = text.trimmingCharacters(in: .whitespaces)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        if value.hasSuffix("Z") {
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        } else if value.count == 8 {
            formatter.timeZone = zone
            formatter.dateFormat = "yyyyMMdd"
        } else {
            formatter.timeZone = zone
            formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        }
        return formatter.date(from: value)
    }

    static func rule(_ text: String, zone: TimeZone) -> Rule? {
        var parts: [String: String] = [:]
        for pair in text.split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            parts[kv[0].uppercased()] = String(kv[1])
        }
        guard let frequency = parts["FREQ"].flatMap({ Rule.Frequency(rawValue: $0.uppercased()) }) else { return nil }
        var rule = Rule(frequency: frequency)
        if let interval = parts["INTERVAL"] {
            guard let value = Int(interval), value >= 1 else { return nil }
            rule.interval = value
        }
        if let count = parts["COUNT"] {
            guard let value = Int(count), value >= 1 else { return nil }
            rule.count = value
        }
        if let until = parts["UNTIL"] {
            guard var value = date(until, zone: zone) else { return nil }
            // A date-only UNTIL includes that whole day.
            if until.count == 8 { value.addTimeInterval(86400 - 1) }
            rule.until = value
        }
        if let byDay = parts["BYDAY"] {
            let names = ["SU": 1, "MO": 2, "TU": 3, "WE": 4, "TH": 5, "FR": 6, "SA": 7]
            for day in byDay.split(separator: ",") {
                guard let weekday = names[day.uppercased()] else { return nil }  // "1MO" (nth weekday) is not supported
                rule.byDay.insert(weekday)
            }
        }
        let known: Set<String> = ["FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"]
        guard Set(parts.keys).isSubset(of: known) else { return nil }
        return rule
    }

    /// TEXT values: `\\`, `\;`, `\,`, `\n`.
    static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                result.append(character == "n" || character == "N" ? "\n" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
