/// A parser for TOML 1.0 documents (https://toml.io/en/v1.0.0).
///
/// It reads comments, bare, quoted and dotted keys, `[tables]` and `[[arrays of tables]]`, basic and literal
/// strings (single- and multi-line), integers (decimal, hex, octal, binary, `_` separators), floats (including
/// `inf` and `nan`), booleans, date-times (kept as text), arrays and inline tables. Every key keeps the line it
/// was written on so that configuration errors can name it.
///
/// The work is shared by three types: ``TOMLScanner`` reads characters into tokens, this reads the document's
/// structure from them, and ``TOMLTableBuilder`` builds the tables and keeps the rules about defining them.
public struct TOMLParser {
    private var scanner: TOMLScanner
    private var builder = TOMLTableBuilder()
    /// Nesting of arrays and inline tables being read, bounded so that no input can exhaust the stack.
    private var depth = 0
    private static let maxDepth = 64

    /// Parses `text` into its root table.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTable {
        var parser = TOMLParser(text: text)
        return try parser.parseDocument()
    }

    private init(text: String) { scanner = TOMLScanner(text: text) }

    // MARK: Document structure

    private mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        while true {
            scanner.skipWhitespace()
            guard let c = scanner.peek() else { break }
            switch c {
            case "#": try scanner.skipComment()
            case "\n", "\r": _ = try scanner.skipNewline()
            case "[": try parseHeader()
            default: try parseKeyValueLine()
            }
        }
        return builder.root
    }

    private mutating func parseHeader() throws(TOMLSyntaxError) {
        let headerLine = scanner.line
        scanner.advance()
        let isArray = scanner.peek() == "["
        if isArray { scanner.advance() }
        scanner.skipWhitespace()
        let path = try parseKey()
        scanner.skipWhitespace()
        try scanner.expect("]")
        if isArray { try scanner.expect("]") }
        try scanner.endOfLine()
        if isArray {
            try builder.appendArrayTable(path, line: headerLine)
        } else {
            try builder.openTable(path, line: headerLine)
        }
    }

    private mutating func parseKeyValueLine() throws(TOMLSyntaxError) {
        let pair = try parseKeyValue()
        try scanner.endOfLine()
        try builder.insert(pair.value, key: pair.key, line: pair.line)
    }

    /// `key = value`, with the line the key is on (errors about defining it name that line).
    private mutating func parseKeyValue() throws(TOMLSyntaxError) -> (key: [String], value: TOMLValue, line: Int) {
        let line = scanner.line
        let key = try parseKey()
        scanner.skipWhitespace()
        try scanner.expect("=")
        scanner.skipWhitespace()
        return (key, try parseValue(), line)
    }

    // MARK: Keys

    private mutating func parseKey() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            scanner.skipWhitespace()
            guard let c = scanner.peek() else { throw scanner.error("expected a key") }
            if c == "\"" {
                parts.append(try scanner.basicString())
            } else if c == "'" {
                parts.append(try scanner.literalString())
            } else {
                guard let bare = scanner.bareKey() else { throw scanner.error("expected a key, found '\(c)'") }
                parts.append(bare)
            }
            scanner.skipWhitespace()
            guard scanner.peek() == "." else { return parts }
            guard parts.count < Self.maxDepth else { throw scanner.error("the key has too many parts") }
            scanner.advance()
        }
    }

    // MARK: Values

    private mutating func parseValue() throws(TOMLSyntaxError) -> TOMLValue {
        guard let c = scanner.peek() else { throw scanner.error("expected a value") }
        if c == "[" || c == "{" {
            guard depth < Self.maxDepth else { throw scanner.error("arrays and inline tables are nested too deeply") }
            depth += 1
        }
        defer { if c == "[" || c == "{" { depth -= 1 } }
        switch c {
        case "\"":
            if scanner.lookingAt("\"\"\"") { return .string(try scanner.multilineBasicString()) }
            return .string(try scanner.basicString())
        case "'":
            if scanner.lookingAt("'''") { return .string(try scanner.multilineLiteralString()) }
            return .string(try scanner.literalString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "t", "f":
            if scanner.lookingAt("true") { scanner.advance(by: 4); return .boolean(true) }
            if scanner.lookingAt("false") { scanner.advance(by: 5); return .boolean(false) }
            throw scanner.error("expected a value")
        default: return try scanner.numberOrDate()
        }
    }

    private mutating func parseArray() throws(TOMLSyntaxError) -> TOMLValue {
        scanner.advance()
        var items: [TOMLValue] = []
        while true {
            try scanner.skipWhitespaceCommentsAndNewlines()
            if scanner.peek() == "]" { scanner.advance(); return .array(items) }
            items.append(try parseValue())
            try scanner.skipWhitespaceCommentsAndNewlines()
            switch scanner.peek() {
            case ",": scanner.advance()
            case "]": scanner.advance(); return .array(items)
            default: throw scanner.error("expected ',' or ']' in an array")
            }
        }
    }

    /// `{ key = value, ... }` on one line (values inside may span lines), built by a ``TOMLTableBuilder`` of its
    /// own: an inline table inside it is as complete as the outer one is to the document.
    private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        var table = TOMLTableBuilder(line: scanner.line)
        scanner.advance()
        scanner.skipWhitespace()
        if scanner.peek() == "}" { scanner.advance(); return .table(table.root) }
        while true {
            scanner.skipWhitespace()
            let pair = try parseKeyValue()
            try table.insert(pair.value, key: pair.key, line: pair.line)
            scanner.skipWhitespace()
            switch scanner.peek() {
            case ",": scanner.advance()
            case "}": scanner.advance(); return .table(table.root)
            default: throw scanner.error("expected ',' or '}' in an inline table")
            }
        }
    }
}
