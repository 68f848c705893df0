/// Where things are in a feed's text, which libical does not keep: the line each VEVENT starts on, its UID and
/// the line of each of its properties, so a warning can name the line to fix. Also whether the text is a whole
/// calendar at all, the check that keeps a login page or a cut-off download from passing for an empty schedule.
struct FeedOutline {
    struct EventLines {
        var begin: Int
        var uid: String?
        /// The first line of each property, by upper-case name.
        var properties: [String: Int] = [:]

        func line(of property: String) -> Int { properties[property] ?? begin }
    }

    /// The VEVENTs in the order of the text (libical keeps that order).
    private(set) var events: [EventLines] = []
    private(set) var begins = false
    private(set) var ends = false
    /// The line of the last content line.
    private(set) var lastLine = 0

    init(_ text: String) {
        var depth = 0  // components open inside the current VEVENT (VALARM)
        var current: EventLines?
        var lineNumber = 0
        var sawContent = false
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            // A folded continuation (RFC 5545 3.1) belongs to the line above.
            if let first = raw.first, first == " " || first == "\t" { continue }
            var line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if lineNumber == 1, line.first == "\u{FEFF}" { line = line.dropFirst() }  // a byte-order mark
            guard !line.isEmpty else { continue }
            let name = line.prefix { $0 != ":" && $0 != ";" }.uppercased()
            let value = line.drop { $0 != ":" }.dropFirst().uppercased()
            if !sawContent { begins = name == "BEGIN" && value == "VCALENDAR"; sawContent = true }
            ends = name == "END" && value == "VCALENDAR"
            lastLine = lineNumber
            switch (name, value, current) {
            case ("BEGIN", "VEVENT", nil):
                current = EventLines(begin: lineNumber)
            case ("END", "VEVENT", let event?) where depth == 0:
                events.append(event)
                current = nil
            case ("BEGIN", _, _?):
                depth += 1
            case ("END", _, _?):
                depth -= 1
            case (_, _, var event?) where depth == 0:
                if event.properties[name] == nil { event.properties[name] = lineNumber }
                if name == "UID", event.uid == nil { event.uid = String(line.drop { $0 != ":" }.dropFirst()) }
                current = event
            default:
                break
            }
        }
    }
}
