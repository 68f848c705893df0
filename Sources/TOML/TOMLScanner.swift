/// The characters of a TOML document and the reader's place in them: the line and column every error names,
/// whitespace, comments and newlines, and the tokens that are read the same wherever they stand (bare keys,
/// the four kinds of strings, and the unquoted numbers and date-times). ``TOMLParser`` reads the
/// document's structure on top of it.
struct TOMLScanner {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    /// 1-based line of the current position, for errors and for the lines ``TOMLTable`` keeps.
    private(set) var line = 1
    private var lineStart = 0

    init(text: String) { scalars = Array(text.unicodeScalars) }

    // MARK: Position

    func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    func lookingAt(_ text: String) -> Bool {
        var i = index
        for s in text.unicodeScalars {
            guard i < scalars.count, scalars[i] == s else { return false }
            i += 1
        }
        return true
    }

    /// Steps over `count` characters that are not line feeds.
    mutating func advance(by count: Int = 1) { index += count }

    mutating func expect(_ c: Unicode.Scalar) throws(TOMLSyntaxError) {
        guard peek() == c else {
            throw error(peek().map { "expected '\(c)', found '\($0)'" } ?? "expected '\(c)' before the end of the file")
        }
        index += 1
    }

    func error(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, column: index - lineStart + 1, message: message)
    }

    // MARK: Whitespace, comments and newlines

    mutating func skipWhitespace() {
        while let c = peek(), c == " " || c == "\t" { index += 1 }
    }

    /// A comment runs to the end of the line. Control characters other than tab may not stand in it, as in
    /// strings: they would hide text from whoever reads the file.
    mutating func skipComment() throws(TOMLSyntaxError) {
        while let c = peek(), c != "\n", !lookingAt("\r\n") {
            if Self.isControl(c) { throw error("control character \(Self.name(c)) in a comment") }
            index += 1
        }
    }

    mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLSyntaxError) {
        while let c = peek() {
            switch c {
            case " ", "\t": index += 1
            case "#": try skipComment()
            default: guard try skipNewline() else { return }
            }
        }
    }

    /// Steps over a newline, LF or CRLF, when one is here. A carriage return alone is no newline in TOML, and an
    /// error wherever it stands outside a comment or string.
    mutating func skipNewline() throws(TOMLSyntaxError) -> Bool {
        if peek() == "\r" {
            guard lookingAt("\r\n") else { throw error("a carriage return must be followed by a line feed") }
            index += 1
        }
        guard peek() == "\n" else { return false }
        index += 1
        line += 1
        lineStart = index
        return true
    }

    /// After a value or header only whitespace and a comment may follow on the same line.
    mutating func endOfLine() throws(TOMLSyntaxError) {
        skipWhitespace()
        if peek() == "#" { try skipComment() }
        guard let c = peek() else { return }
        guard try skipNewline() else { throw error("unexpected '\(c)' after the value (one key = value per line)") }
    }

    /// U+0000 to U+001F and U+007F; tab is allowed in comments and strings, the others only escaped.
    private static func isControl(_ c: Unicode.Scalar) -> Bool { c.value < 0x20 && c != "\t" || c.value == 0x7F }

    /// `U+0007`, for errors about characters that do not show.
    private static func name(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    // MARK: Keys

    /// A bare key (`A-Za-z0-9_-`), or nil when none starts here.
    mutating func bareKey() -> String? {
        let start = index
        while let c = peek(), Self.isBareKeyCharacter(c) { index += 1 }
        return index > start ? String(String.UnicodeScalarView(scalars[start..<index])) : nil
    }

    private static func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: Strings

    mutating func basicString() throws(TOMLSyntaxError) -> String {
        index += 1
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            switch c {
            case "\"": index += 1; return String(result)
            case "\n",
                 "\r" where lookingAt("\r\n"):
                throw error("unterminated string (a basic string cannot span lines)")
            case "\\": result.append(try escape())
            default:
                if Self.isControl(c) { throw error("control character \(Self.name(c)) must be escaped in strings") }
                result.append(c); index += 1
            }
        }
    }

    /// A newline in a multi-line string is read as a line feed whether the file has LF or CRLF, so that a value
    /// does not change with the editor that saved it.
    mutating func multilineBasicString() throws(TOMLSyntaxError) -> String {
        // The error names the line where the string opened: at the end of the file it would say little.
        let unterminated = error("unterminated multi-line string")
        index += 3
        _ = try skipNewline()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw unterminated }
            if c == "\"", let quotes = closingQuotes("\"") {
                // Up to two quotes may stand right before the closing delimiter.
                result.append(contentsOf: repeatElement("\"", count: quotes - 3))
                index += quotes
                return String(result)
            }
            if c == "\\" {
                // A backslash at the end of a line trims the line break and the whitespace after it.
                var probe = index + 1
                while probe < scalars.count, scalars[probe] == " " || scalars[probe] == "\t" { probe += 1 }
                if probe < scalars.count, scalars[probe] == "\n" || scalars[probe] == "\r" {
                    index = probe
                    while true {
                        skipWhitespace()
                        guard try skipNewline() else { break }
                    }
                    continue
                }
                result.append(try escape())
            } else if try skipNewline() {
                result.append("\n")
            } else {
                if Self.isControl(c) { throw error("control character \(Self.name(c)) must be escaped in strings") }
                result.append(c); index += 1
            }
        }
    }

    mutating func literalString() throws(TOMLSyntaxError) -> String {
        index += 1
        let start = index
        while let c = peek(), c != "'" {
            if c == "\n" || lookingAt("\r\n") { throw error("unterminated literal string (a literal string cannot span lines)") }
            if Self.isControl(c) { throw error("control character \(Self.name(c)) in a literal string") }
            index += 1
        }
        guard peek() == "'" else { throw error("unterminated literal string") }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        index += 1
        return text
    }

    mutating func multilineLiteralString() throws(TOMLSyntaxError) -> String {
        let unterminated = error("unterminated multi-line literal string")
        index += 3
        _ = try skipNewline()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw unterminated }
            if c == "'", let quotes = closingQuotes("'") {
                result.append(contentsOf: repeatElement("'", count: quotes - 3))
                index += quotes
                return String(result)
            }
            if try skipNewline() {
                result.append("\n")
            } else {
                if Self.isControl(c) { throw error("control character \(Self.name(c)) in a literal string") }
                result.append(c); index += 1
            }
        }
    }

    /// The number of `quote` characters starting here when they close a multi-line string (3 to 5), else nil.
    private func closingQuotes(_ quote: Unicode.Scalar) -> Int? {
        var count = 0
        while index + count < scalars.count, scalars[index + count] == quote { count += 1 }
        return count >= 3 ? min(count, 5) : nil
    }

    private mutating func escape() throws(TOMLSyntaxError) -> Unicode.Scalar {
        index += 1
        guard let c = peek() else { throw error("unterminated escape sequence") }
        index += 1
        switch c {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let length = c == "u" ? 4 : 8
            guard index + length <= scalars.count else { throw error("incomplete \\\(c) escape") }
            let digits = scalars[index..<index + length]
            let hex = String(String.UnicodeScalarView(digits))
            // UInt32(_:radix:) would take a sign as well.
            guard digits.allSatisfy(\.properties.isASCIIHexDigit), let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                throw error("invalid unicode escape \\\(c)\(hex)")
            }
            index += length
            return scalar
        default: throw error("invalid escape sequence \\\(c)")
        }
    }

    // MARK: Numbers and date-times

    /// An integer, float or date-time written without quotes, read up to the delimiter that ends it.
    mutating func numberOrDate() throws(TOMLSyntaxError) -> TOMLValue {
        let start = index
        while let c = peek(), !(c == "," || c == "]" || c == "}" || c == "#" || c == "\n" || c == "\r") {
            // A date-time may hold one space between date and time.
            if c == " " || c == "\t" {
                let text = String(String.UnicodeScalarView(scalars[start..<index]))
                if c == " ", TOMLLiteral.isLocalDate(text), index + 1 < scalars.count, ("0"..."9").contains(scalars[index + 1]) {
                    index += 1; continue
                }
                break
            }
            index += 1
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        guard !text.isEmpty else { throw error("expected a value") }
        do {
            if let value = try TOMLLiteral.number(text) { return value }
        } catch {
            index = start
            throw self.error("integer \(text) does not fit in 64 bits (-9223372036854775808 to 9223372036854775807)")
        }
        if TOMLLiteral.isDateTime(text) { return .dateTime(text) }
        index = start
        if TOMLLiteral.looksLikeDateTime(text) {
            throw error("invalid date or time '\(text)' (RFC 3339: 1979-05-27, 07:32:00, 1979-05-27T07:32:00-08:00; the day must exist)")
        }
        throw error("invalid value '\(text)' (strings must be quoted)")
    }
}
