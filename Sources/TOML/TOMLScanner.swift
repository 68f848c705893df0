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

    mutating func skipComment() {
        while let c = peek(), c != "\n" { index += 1 }
    }

    mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLSyntaxError) {
        while let c = peek() {
            switch c {
            case " ", "\t": index += 1
            case "\r":
                index += 1
                guard peek() == "\n" else { throw error("a carriage return must be followed by a line feed") }
            case "\n": advanceLine()
            case "#": skipComment()
            default: return
            }
        }
    }

    /// Steps over the line feed at the current position.
    mutating func advanceLine() {
        index += 1
        line += 1
        lineStart = index
    }

    /// After a value or header only whitespace and a comment may follow on the same line.
    mutating func endOfLine() throws(TOMLSyntaxError) {
        skipWhitespace()
        if peek() == "#" { skipComment() }
        if peek() == "\r" { index += 1 }
        guard let c = peek() else { return }
        guard c == "\n" else { throw error("unexpected '\(c)' after the value (one key = value per line)") }
        advanceLine()
    }

    private static func isControl(_ c: Unicode.Scalar) -> Bool { c.value < 0x20 && c != "\t" || c.value == 0x7F }

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
            case "\n": throw error("unterminated string (a basic string cannot span lines)")
            case "\\": result.append(try escape())
            default:
                if Self.isControl(c) { throw error("control characters must be escaped in strings") }
                result.append(c); index += 1
            }
        }
    }

    mutating func multilineBasicString() throws(TOMLSyntaxError) -> String {
        index += 3
        skipNewlineRightAfterDelimiter()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("unterminated multi-line string") }
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
                    while let w = peek(), w == " " || w == "\t" || w == "\n" || w == "\r" {
                        if w == "\n" { advanceLine() } else { index += 1 }
                    }
                    continue
                }
                result.append(try escape())
            } else if c == "\n" {
                result.append(c); advanceLine()
            } else {
                if Self.isControl(c), c != "\t", c != "\r" { throw error("control characters must be escaped in strings") }
                result.append(c); index += 1
            }
        }
    }

    mutating func literalString() throws(TOMLSyntaxError) -> String {
        index += 1
        let start = index
        while let c = peek(), c != "'" {
            if c == "\n" { throw error("unterminated literal string") }
            index += 1
        }
        guard peek() == "'" else { throw error("unterminated literal string") }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        index += 1
        return text
    }

    mutating func multilineLiteralString() throws(TOMLSyntaxError) -> String {
        index += 3
        skipNewlineRightAfterDelimiter()
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("unterminated multi-line literal string") }
            if c == "'", let quotes = closingQuotes("'") {
                result.append(contentsOf: repeatElement("'", count: quotes - 3))
                index += quotes
                return String(result)
            }
            if c == "\n" { result.append(c); advanceLine() } else { result.append(c); index += 1 }
        }
    }

    /// The number of `quote` characters starting here when they close a multi-line string (3 to 5), else nil.
    private func closingQuotes(_ quote: Unicode.Scalar) -> Int? {
        var count = 0
        while index + count < scalars.count, scalars[index + count] == quote { count += 1 }
        return count >= 3 ? min(count, 5) : nil
    }

    private mutating func skipNewlineRightAfterDelimiter() {
        if peek() == "\r" { index += 1 }
        if peek() == "\n" { advanceLine() }
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
            let hex = String(String.UnicodeScalarView(scalars[index..<index + length]))
            guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
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
        if let value = TOMLLiteral.number(text) { return value }
        if TOMLLiteral.isDateTime(text) { return .dateTime(text) }
        index = start
        throw error("invalid value '\(text)' (strings must be quoted)")
    }
}
