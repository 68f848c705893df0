import Foundation

/// A length of time in whole seconds that reads and writes itself in the two forms RoomRecorder meets:
///
/// - the configuration's: `90s`, `15m`, `1h30m`, `24h` (hours, minutes and seconds, each at most once and in
///   that order; ``configText`` prints the shortest such text);
/// - iCalendar's (RFC 5545 `dur-value`, ISO 8601's durations without years and months): `PT1H30M`, `P1D`, `P1W`,
///   `-PT15M` (``iCalendarText`` prints days, hours, minutes and seconds, a day as 24 hours).
///
/// Its ``description`` is for people: `24 h`, `90 min`, `45 s`.
///
/// (Named so as not to be confused with the standard library's `Duration`, a clock's nanosecond-precise
/// measure: this is a setting's value.)
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Whole seconds; negative for a span before (iCalendar's `-PT15M`).
    public var seconds: Int

    public init(seconds: Int) { self.seconds = seconds }

    /// Whole seconds of `interval`, its fraction dropped (a value beyond ±2⁶³ seconds, or not finite, is clamped,
    /// or zero).
    public init(_ interval: TimeInterval) {
        let limit = 9.2e18
        seconds = interval.isFinite ? Int(min(max(interval, -limit), limit)) : 0
    }

    public static func minutes(_ count: Int) -> TimeSpan { TimeSpan(seconds: count * 60) }
    public static func hours(_ count: Int) -> TimeSpan { TimeSpan(seconds: count * 3600) }
    public static func days(_ count: Int) -> TimeSpan { TimeSpan(seconds: count * 86400) }

    /// The span in Foundation's seconds.
    public var timeInterval: TimeInterval { TimeInterval(seconds) }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    // MARK: The configuration's form

    /// Reads `24h`, `90m`, `1h30m`, `45s` or `0s`: a number and a unit (`h`, `m`, `s`, lower case), each unit at most
    /// once and in that order, without spaces or a sign. Nil for anything else.
    public init?(configText text: String) {
        guard !text.isEmpty, let seconds = Self.sum(text[...], units: [("h", 3600), ("m", 60), ("s", 1)]) else { return nil }
        self.seconds = seconds
    }

    /// `24h`, `1h30m`, `45s`, `0s`: hours, minutes and seconds, the ones that are zero left out.
    public var configText: String {
        let (sign, h, m, s) = parts
        var text = sign
        if h > 0 { text += "\(h)h" }
        if m > 0 { text += "\(m)m" }
        if s > 0 || (h == 0 && m == 0) { text += "\(s)s" }
        return text
    }

    // MARK: iCalendar's form

    /// Reads an iCalendar duration: an optional `+` or `-`, `P`, then weeks and days (`1W`, `2D`), then after a
    /// `T` hours, minutes and seconds (`1H`, `30M`, `15S`), each at most once and in that order, upper case; a day
    /// is 24 hours. As lenient as the feed reader always was: weeks may come with days, and an hour with seconds
    /// but no minutes. Nil for anything else.
    public init?(iCalendarText text: String) {
        var rest = text[...]
        let negative = rest.first == "-"
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        guard rest.first == "P" else { return nil }
        rest = rest.dropFirst()
        let date = rest.prefix { $0 != "T" }
        let time = rest.dropFirst(date.count).dropFirst()
        guard let days = Self.sum(date, units: [("W", 7 * 86400), ("D", 86400)]),
              let clock = Self.sum(time, units: [("H", 3600), ("M", 60), ("S", 1)]) else { return nil }
        let (total, overflow) = days.addingReportingOverflow(clock)
        guard !overflow else { return nil }
        seconds = negative ? -total : total
    }

    /// `PT1H30M`, `P1D`, `P1DT2H`, `-PT15M`, `PT0S`: days, then hours, minutes and seconds, as RFC 5545 writes
    /// them (an hour followed by seconds keeps its minutes, `PT1H0M5S`).
    public var iCalendarText: String {
        let (sign, hours, m, s) = parts
        let (d, h) = hours.quotientAndRemainder(dividingBy: 24)
        var text = sign + "P"
        if d > 0 { text += "\(d)D" }
        guard h > 0 || m > 0 || s > 0 || d == 0 else { return text }
        text += "T"
        if h > 0 { text += "\(h)H" }
        if m > 0 || (h > 0 && s > 0) { text += "\(m)M" }
        if s > 0 || (h == 0 && m == 0) { text += "\(s)S" }
        return text
    }

    // MARK: Words

    /// `24 h`, `90 min` or `45 s`: the largest of the three units that counts the span whole.
    public var description: String {
        let (sign, magnitude) = (seconds < 0 ? "-" : "", seconds.magnitude)
        if magnitude >= 3600 && magnitude % 3600 == 0 { return "\(sign)\(magnitude / 3600) h" }
        if magnitude >= 60 && magnitude % 60 == 0 { return "\(sign)\(magnitude / 60) min" }
        return "\(sign)\(magnitude) s"
    }

    // MARK: Reading and writing

    /// The sign, then hours, minutes and seconds of the magnitude.
    private var parts: (sign: String, hours: UInt, minutes: UInt, seconds: UInt) {
        let magnitude = seconds.magnitude
        return (seconds < 0 ? "-" : "", magnitude / 3600, magnitude / 60 % 60, magnitude % 60)
    }

    /// The seconds in `<digits><unit>…`, whose units are some of `units`, each at most once and in their order;
    /// nil when anything else is in the text or the sum does not fit. Empty text is zero.
    private static func sum(_ text: Substring, units: [(unit: Character, seconds: Int)]) -> Int? {
        var total = 0
        var rest = text
        var allowed = units[...]
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int(digits), let unit = rest.dropFirst(digits.count).first,
                  let index = allowed.firstIndex(where: { $0.unit == unit }) else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: allowed[index].seconds)
            let (sum, carry) = total.addingReportingOverflow(product)
            guard !overflow, !carry else { return nil }
            total = sum
            allowed = allowed[(index + 1)...]
            rest = rest.dropFirst(digits.count + 1)
        }
        return total
    }
}
