/// The text of the values TOML writes without quotes, numbers and date-times: which texts are valid, and the
/// value a number's text stands for. ``TOMLScanner`` finds where such a text ends; this decides what it is.
enum TOMLLiteral {
    static func number(_ text: String) -> TOMLValue? {
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        let plain = String(text.filter { $0 != "_" })
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where plain.hasPrefix(prefix) {
            let digits = plain.dropFirst(2)
            guard underscoresAreValid(text, digit: { $0.isHexDigit }), !digits.isEmpty,
                  digits.allSatisfy({ $0.isHexDigit }) else { return nil }
            return Int64(digits, radix: radix).map(TOMLValue.integer)
        }
        guard underscoresAreValid(text, digit: { $0.isASCII && $0.isNumber }) else { return nil }
        let unsigned = plain.hasPrefix("+") || plain.hasPrefix("-") ? String(plain.dropFirst()) : plain
        guard let first = unsigned.first, first.isASCII, first.isNumber else { return nil }
        if unsigned.count > 1, unsigned.hasPrefix("0"), !unsigned.hasPrefix("0.") && !unsigned.hasPrefix("0e") && !unsigned.hasPrefix("0E") {
            return nil  // leading zeros are not allowed
        }
        if unsigned.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return Int64(plain).map(TOMLValue.integer)
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

    static func isLocalDate(_ text: String) -> Bool {
        let c = Array(text.utf8)
        guard c.count == 10, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-") else { return false }
        return [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { (48...57).contains(c[$0]) }
    }

    private static func isLocalTime(_ text: Substring) -> Bool {
        let c = Array(text.utf8)
        guard c.count >= 8, c[2] == UInt8(ascii: ":"), c[5] == UInt8(ascii: ":") else { return false }
        guard [0, 1, 3, 4, 6, 7].allSatisfy({ (48...57).contains(c[$0]) }) else { return false }
        var rest = text.dropFirst(8)
        if rest.first == "." {
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return false }
            rest = rest.dropFirst(digits.count)
        }
        if rest.isEmpty || rest == "Z" || rest == "z" { return true }
        let offset = Array(rest.utf8)
        return offset.count == 6 && (offset[0] == UInt8(ascii: "+") || offset[0] == UInt8(ascii: "-")) && offset[3] == UInt8(ascii: ":")
            && [1, 2, 4, 5].allSatisfy { (48...57).contains(offset[$0]) }
    }

    static func isDateTime(_ text: String) -> Bool {
        if isLocalDate(text) { return true }
        if isLocalTime(Substring(text)) { return true }
        guard text.count > 11 else { return false }
        let date = String(text.prefix(10))
        let separator = text[text.index(text.startIndex, offsetBy: 10)]
        guard isLocalDate(date), separator == "T" || separator == "t" || separator == " " else { return false }
        return isLocalTime(text.dropFirst(11))
    }
}
