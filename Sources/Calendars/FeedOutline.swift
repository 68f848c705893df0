/// Where things are in a feed's text, which libical does not keep: the line each VEVENT starts on, its UID and
/// the line of each property that sets its times, so a warning can name the line to fix. Also whether the text
/// is a whole calendar at all, the check that keeps a login page or a cut-off download from passing for an empty
/// schedule. Read over the UTF-8 bytes: a 2,000-event feed is scanned in a few milliseconds.
struct FeedOutline {
    struct EventLines {
        var begin: Int
        var uid: String?
        /// The first line of each property of ``FeedOutline/tracked``, by upper-case name.
        var properties: [String: Int] = [:]

        func line(of property: String) -> Int { properties[property] ?? begin }
    }

    /// The properties whose lines are kept: those a skipped event is named by.
    static let tracked = CalendarEventReader.timeProperties + ["UID"]
    private static let trackedBytes = tracked.map { Array($0.utf8) }

    /// The VEVENTs in the order of the text (libical keeps that order).
    private(set) var events: [EventLines] = []
    private(set) var begins = false
    private(set) var ends = false
    /// The line of the last content line.
    private(set) var lastLine = 0
    /// Components an END closed without their own END first (an event that leaves its VALARM open): where the
    /// missing END lines go (a byte offset in the text) and what they are. libical would close whatever is open at
    /// an END, and the events after such a one would end up inside it, or the calendar be lost.
    private(set) var missingEnds: [(offset: Int, line: String)] = []
    /// Lines such as `END:VALARM` with no such component open, by byte range: libical would close the wrong one.
    private(set) var strayEnds: [Range<Int>] = []

    /// The text with the missing END lines put in and the stray ones taken out, or nil when it needs neither.
    func repaired(_ text: String) -> String? {
        guard !missingEnds.isEmpty || !strayEnds.isEmpty else { return nil }
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var position = 0
        let edits = missingEnds.map { (at: $0.offset, insert: Array($0.line.utf8), skip: 0) }
            + strayEnds.map { (at: $0.lowerBound, insert: [UInt8](), skip: $0.count) }
        for edit in edits.sorted(by: { $0.at < $1.at }) where edit.at >= position {
            result += bytes[position..<edit.at] + edit.insert
            position = edit.at + edit.skip
        }
        result += bytes[position...]
        return String(decoding: result, as: UTF8.self)
    }

    init(_ text: String) {
        var text = text
        text.withUTF8 { scan($0) }
    }

    /// The lines of the `index`-th VEVENT libical found, checked by its UID: where the two count differently (a
    /// VEVENT in an odd place), the event with that UID.
    func lines(ofEvent index: Int, uid: String?) -> EventLines {
        if index < events.count, uid == nil || events[index].uid == uid { return events[index] }
        return events.first { $0.uid == uid && uid != nil } ?? EventLines(begin: index < events.count ? events[index].begin : lastLine)
    }

    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) {
        var depth = 0  // components open inside the current VEVENT (VALARM)
        var current: EventLines?
        var open: [String] = []  // every component open, innermost last
        var lineNumber = 0
        var sawContent = false
        var start = bytes.startIndex
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }  // a byte-order mark
        while start < bytes.endIndex {
            // Lines end with CRLF as RFC 5545 says, with LF, or with CR alone (as some servers write them).
            let end = bytes[start...].firstIndex { $0 == 0x0A || $0 == 0x0D } ?? bytes.endIndex
            let next = end < bytes.endIndex && bytes[end] == 0x0D && end + 1 < bytes.endIndex && bytes[end + 1] == 0x0A ? end + 2 : end + 1
            lineNumber += 1
            defer { start = next }
            // Empty, or a folded continuation (RFC 5545 3.1) of the line above.
            guard end > start, bytes[start] != 0x20, bytes[start] != 0x09 else { continue }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            let nameEnd = line.firstIndex { $0 == 0x3A || $0 == 0x3B } ?? line.endIndex  // ':' or ';'
            let name = UnsafeBufferPointer(rebasing: line[..<nameEnd])
            let colon = line.firstIndex(of: 0x3A)
            let value = colon.map { UnsafeBufferPointer(rebasing: line[($0 + 1)...]) } ?? UnsafeBufferPointer(rebasing: line[line.endIndex...])
            let isBegin = Self.equal(name, Self.begin), isEnd = Self.equal(name, Self.end)
            if !sawContent { begins = isBegin && Self.equal(value, Self.vcalendar); sawContent = true }
            ends = isEnd && Self.equal(value, Self.vcalendar)
            lastLine = lineNumber
            if isBegin || isEnd {
                let component = String(decoding: value, as: UTF8.self).uppercased()
                if isBegin {
                    open.append(component)
                } else if let index = open.lastIndex(of: component) {
                    for unclosed in open[(index + 1)...].reversed() { missingEnds.append((start - bytes.startIndex, "END:\(unclosed)\r\n")) }
                    open.removeSubrange(index...)
                } else {
                    strayEnds.append((start - bytes.startIndex)..<(next - bytes.startIndex))
                    continue
                }
            }
            if isBegin, Self.equal(value, Self.vevent) {
                // A VEVENT that begins inside another (which left a VALARM open) is an event of its own, as libical
                // reads it.
                if let open = current { events.append(open) }
                current = EventLines(begin: lineNumber)
                depth = 0
            } else if isEnd, current != nil, Self.equal(value, Self.vevent) {
                events.append(current!)
                current = nil
                depth = 0
            } else if isBegin, current != nil {
                depth += 1
            } else if isEnd, current != nil {
                depth -= 1
            } else if depth == 0, current != nil, let index = Self.trackedBytes.firstIndex(where: { Self.equal(name, $0) }) {
                let property = Self.tracked[index]
                if current!.properties[property] == nil { current!.properties[property] = lineNumber }
                if property == "UID", current!.uid == nil { current!.uid = String(decoding: value, as: UTF8.self) }
            }
        }
    }

    /// ASCII case-insensitive equality of a name or value with an upper-case word.
    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ word: [UInt8]) -> Bool {
        guard bytes.count == word.count else { return false }
        for (byte, letter) in zip(bytes, word) where (0x61...0x7A).contains(byte) ? byte - 0x20 != letter : byte != letter { return false }
        return true
    }

    private static let (begin, end, vevent, vcalendar) = (Array("BEGIN".utf8), Array("END".utf8), Array("VEVENT".utf8), Array("VCALENDAR".utf8))
}
