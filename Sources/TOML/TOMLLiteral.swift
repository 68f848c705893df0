/// The text of the values TOML writes without quotes, numbers and date-times: which texts are valid, and the
/// value a number's text stands for. ``TOMLScanner`` finds where such a text ends; this decides what it is.
enum TOMLLiteral {
    /// An integer written correctly but outside 64 bits, which TOML requires an error for rather than a value
    /// rounded or cut.
    struct IntegerOverflow: Error {}

    /// The integer or float `text` stands for; nil when it is no number.
    static func number(_ text: String) throws(IntegerOverflow) -> TOMLValue? {
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        let plain = String(text.filter { $0 != "_" })
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            // Underscores between the digits only: not between the prefix and the value.
            let body = text.dropFirst(2)
            let digits = body.filter { $0 != "_" }
            guard underscoresAreValid(String(body), digit: { $0.isHexDigit }), !digits.isEmpty,
                  digits.allSatisfy({ $0.isASCII && ($0.hexDigitValue ?? radix) < radix }) else { return nil }
            guard let value = Int64(digits, radix: radix) else { throw IntegerOverflow() }
            return .integer(value)
        }
        guard underscoresAreValid(text, digit: { $0.isASCII && $0.isNumber }) else { return nil }
        let unsigned = plain.hasPrefix("+") || plain.hasPrefix("-") ? String(plain.dropFirst()) : plain
        guard let first = unsigned.first, first.isASCII, first.isNumber else { return nil }
        if unsigned.count > 1, unsigned.hasPrefix("0"), !unsigned.hasPrefix("0.") && !unsigned.hasPrefix("0e") && !unsigned.hasPrefix("0E") {
            return nil  // leading zeros are not allowed
        }
        if unsigned.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let value = Int64(plain) else { throw IntegerOverflow() }
            return .integer(value)
        }
        guard unsigned.allSatisfy({ $0.isASCII && ($0.isNumber || "eE+-.".contains($0)) }),
              !unsigned.hasSuffix("."), !unsigned.contains(".e"), !unsigned.contains(".E") else { return nil }
        return Double(plain).map(TOMLValue.float)
    }

    /// Each `_` must stand between two digits.
    private static func underscoresAreValid(_ text: String, digit: (Character) -> Bool) -> Bool {
        let chars = Array(text)
        for (i, c) in chars.enumerated() where c == "_" {
            guard i > 0, i < chars.count - 1, digit(chars[i - 1]), digit(chars[i + 1]) else { return false }
        }
        return true
    }

    /// A local date, `YYYY-MM-DD`, of a day that exists.
    static func isLocalDate(_ text: String) -> Bool { date(Array(text.utf8)[...]) }

    /// A local date, a local time, or a date and a time (joined by `T`, `t` or a space) with or without an
    /// offset, each field in its range as RFC 3339 has it. The text is kept as written (``TOMLValue/dateTime(_:)``),
    /// so a date that does not exist or a time with an offset but no date would otherwise pass unnoticed.
    static func isDateTime(_ text: String) -> Bool {
        let c = Array(text.utf8)[...]
        if c.count >= 10, date(c.prefix(10)) {
            if c.count == 10 { return true }
            guard c.count > 11, [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(c[c.startIndex + 10]) else { return false }
            let rest = c.dropFirst(11)
            guard let timeLength = time(rest) else { return false }
            return offset(rest.dropFirst(timeLength))
        }
        return time(c) == c.count  // a local time has no offset
    }

    /// The two-digit (or four-digit) number at `offset` in `c`.
    private static func number(_ c: ArraySlice<UInt8>, at offset: Int, digits: Int = 2) -> Int? {
        let start = c.startIndex + offset
        guard start + digits <= c.endIndex else { return nil }
        var value = 0
        for byte in c[start..<start + digits] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    private static func date(_ c: ArraySlice<UInt8>) -> Bool {
        guard c.count == 10, c[c.startIndex + 4] == UInt8(ascii: "-"), c[c.startIndex + 7] == UInt8(ascii: "-"),
              let year = number(c, at: 0, digits: 4), let month = number(c, at: 5), let day = number(c, at: 8),
              (1...12).contains(month) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// The length of `HH:MM:SS` with an optional fraction at the start of `c`, or nil. A second may be 60, the
    /// leap second RFC 3339 allows.
    private static func time(_ c: ArraySlice<UInt8>) -> Int? {
        guard c.count >= 8, c[c.startIndex + 2] == UInt8(ascii: ":"), c[c.startIndex + 5] == UInt8(ascii: ":"),
              let hour = number(c, at: 0), let minute = number(c, at: 3), let second = number(c, at: 6),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        guard c.count > 8, c[c.startIndex + 8] == UInt8(ascii: ".") else { return 8 }
        let digits = c.dropFirst(9).prefix { (48...57).contains($0) }.count
        return digits > 0 ? 9 + digits : nil
    }

    /// Nothing (a local date-time), or `Z`, `z` or `+HH:MM`/`-HH:MM` and nothing after it.
    private static func offset(_ c: ArraySlice<UInt8>) -> Bool {
        if c.isEmpty { return true }
        if c.count == 1 { return c.first == UInt8(ascii: "Z") || c.first == UInt8(ascii: "z") }
        guard c.count == 6, c.first == UInt8(ascii: "+") || c.first == UInt8(ascii: "-"), c[c.startIndex + 3] == UInt8(ascii: ":"),
              let hour = number(c, at: 1), let minute = number(c, at: 4) else { return false }
        return hour <= 23 && minute <= 59
    }

    /// Whether a text that is not a valid value was meant as a date or a time, for the error's wording.
    static func looksLikeDateTime(_ text: String) -> Bool {
        let c = Array(text.utf8)
        return c.count >= 5 && (c[2] == UInt8(ascii: ":") || c[4] == UInt8(ascii: "-"))
    }
}
