/// An error in a TOML document's syntax, with the line and column where it was found.
public struct TOMLSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A parser for TOML 1.0 documents (https://toml.io/en/v1.0.0).
///
/// It reads comments, bare, quoted and dotted keys, `[tables]` and `[[arrays of tables]]`, basic and literal
/// strings (single- and multi-line), integers (decimal, hex, octal, binary, `_` separators), floats (including
/// `inf` and `nan`), booleans, date-times (kept as text), arrays and inline tables. Every key keeps the line it
/// was written on so that configuration errors can name it.
public struct TOMLParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    private var root = TOMLTable()
    /// Path of the table that `key = value` lines currently write into.
    private var currentPath: [String] = []
    /// Tables created by a `[header]` or by `[[header]]`, which may not be opened again with `[header]`.
    private var explicitTables: Set<[String]> = []
    /// Tables defined by dotted keys, which a `[header]` may not open again (but may add sub-tables to).
    private var dottedTables: Set<[String]> = []
    /// Inline tables and arrays, complete as written: nothing may be added to them or inside them.
    private var inlineValues: Set<[String]> = []
    /// Arrays made by `[[header]]`, the only arrays a header may step into or extend.
    private var arrayTables: Set<[String]> = []
    /// Nesting of arrays and inline tables being read, bounded so that no input can exhaust the stack.
    private var depth = 0
    private static let maxDepth = 64

    /// Parses `text` into its root table.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTable {
        var parser = TOMLParser(text: text)
        return try parser.parseDocument()
    }

    private init(text: String) { scalars = Array(text.unicodeScalars) }

    // MARK: Document structure

    private mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        while true {
            skipWhitespace()
            guard let c = peek() else { break }
            switch c {
            case "#": skipComment()
            case "\n": advanceLine()
            case "\r":
                index += 1
                guard peek() == "\n" else { throw error("a carriage return must be followed by a line feed") }
            case "[": try parseHeader()
            default: try parseKeyValueLine()
            }
        }
        return root
    }

    private mutating func parseHeader() throws(TOMLSyntaxError) {
        let headerLine = line
        index += 1
        let isArray = peek() == "["
        if isArray { index += 1 }
        skipWhitespace()
        let path = try parseKey()
        skipWhitespace()
        try expect("]")
        if isArray { try expect("]") }
        try endOfLine()
        if isArray {
            try appendArrayTable(at: path, line: headerLine)
        } else {
            if explicitTables.contains(path) || dottedTables.contains(path) {
                throw TOMLSyntaxError(line: headerLine, column: 1, message: "table [\(path.joined(separator: "."))] is defined twice")
            }
            try ensureTable(at: path, line: headerLine)
            explicitTables.insert(path)
        }
        currentPath = path
    }

    private mutating func parseKeyValueLine() throws(TOMLSyntaxError) {
        let keyLine = line
        let key = try parseKey()
        skipWhitespace()
        try expect("=")
        skipWhitespace()
        let value = try parseValue()
        try endOfLine()
        try insert(value, at: currentPath, key: key, line: keyLine)
    }

    // MARK: Keys

    private mutating func parseKey() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipWhitespace()
            guard let c = peek() else { throw error("expected a key") }
            if c == "\"" {
                parts.append(try parseBasicString())
            } else if c == "'" {
                parts.append(try parseLiteralString())
            } else {
                let start = index
                while let c = peek(), Self.isBareKeyCharacter(c) { index += 1 }
                guard index > start else { throw error("expected a key, found '\(c)'") }
                parts.append(String(String.UnicodeScalarView(scalars[start..<index])))
            }
            skipWhitespace()
            guard peek() == "." else { return parts }
            guard parts.count < Self.maxDepth else { throw error("the key has too many parts") }
            index += 1
        }
    }

    private static func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: Values

    private mutating func parseValue() throws(TOMLSyntaxError) -> TOMLValue {
        guard let c = peek() else { throw error("expected a value") }
        if c == "[" || c == "{" {
            guard depth < Self.maxDepth else { throw error("arrays and inline tables are nested too deeply") }
            depth += 1
        }
        defer { if c == "[" || c == "{" { depth -= 1 } }
        switch c {
        case "\"":
            if lookingAt("\"\"\"") { return .string(try parseMultilineBasicString()) }
            return .string(try parseBasicString())
        case "'":
            if lookingAt("'''") { return .string(try parseMultilineLiteralString()) }
            return .string(try parseLiteralString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "t", "f":
            if lookingAt("true") { index += 4; return .boolean(true) }
            if lookingAt("false") { index += 5; return .boolean(false) }
            throw error("expected a value")
        default: return try parseNumberOrDate()
        }
    }

    private mutating func parseArray() throws(TOMLSyntaxError) -> TOMLValue {
        index += 1
        var items: [TOMLValue] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if peek() == "]" { index += 1; return .array(items) }
            items.append(try parseValue())
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case ",": index += 1
            case "]": index += 1; return .array(items)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        let tableLine = line
        index += 1
        var table = TOMLTable(line: tableLine)
        skipWhitespace()
        if peek() == "}" { index += 1; return .table(table) }
        while true {
            skipWhitespace()
            let key = try parseKey()
            skipWhitespace()
            try expect("=")
            skipWhitespace()
            let value = try parseValue()
            try Self.insert(value, into: &table, path: key[...], line: tableLine, fullKey: key) { message in
                TOMLSyntaxError(line: tableLine, column: 1, message: message)
            }
            skipWhitespace()
            switch peek() {
            case ",": index += 1
            case "}": index += 1; return .table(table)
            default: throw error("expected ',' or '}' in an inline table")
            }
        }
    }

    private mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        index += 1
        var result = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("unterminated string") }
            switch c {
            case "\"": index += 1; return String(result)
            case "\n": throw error("unterminated string (a basic string cannot span lines)")
            case "\\": result.append(try parseEscape())
            default:
                if Self.isControl(c) { throw error("control characters must be escaped in strings") }
                result.append(c); index += 1
            }
        }
    }

    private mutating func parseMultilineBasicString() throws(TOMLSyntaxError) -> String {
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
                result.append(try parseEscape())
            } else if c == "\n" {
                result.append(c); advanceLine()
            } else {
                if Self.isControl(c), c != "\t", c != "\r" { throw error("control characters must be escaped in strings") }
                result.append(c); index += 1
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
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

    private mutating func parseMultilineLiteralString() throws(TOMLSyntaxError) -> String {
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

    private mutating func parseEscape() throws(TOMLSyntaxError) -> Unicode.Scalar {
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

    private mutating func parseNumberOrDate() throws(TOMLSyntaxError) -> TOMLValue {
        let start = index
        while let c = peek(), !(c == "," || c == "]" || c == "}" || c == "#" || c == "\n" || c == "\r") {
            // A date-time may hold one space between date and time.
            if c == " " || c == "\t" {
                let text = String(String.UnicodeScalarView(scalars[start..<index]))
                if c == " ", Self.isLocalDate(text), index + 1 < scalars.count, ("0"..."9").contains(scalars[index + 1]) {
                    index += 1; continue
                }
                break
            }
            index += 1
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        guard !text.isEmpty else { throw error("expected a value") }
        if let value = Self.number(text) { return value }
        if Self.isDateTime(text) { return .dateTime(text) }
        index = start
        throw error("invalid value '\(text)' (strings must be quoted)")
    }

    private static func number(_ text: String) -> TOMLValue? {
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        let plain = String(text.filter { $0 != "_" })
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where plain.hasPrefix(prefix) {
            let digits = plain.dropFirst(2)
            guard Self.underscoresAreValid(text, digit: { $0.isHexDigit }), !digits.isEmpty,
                  digits.allSatisfy({ $0.isHexDigit }) else { return nil }
            return Int64(digits, radix: radix).map(TOMLValue.integer)
        }
        guard Self.underscoresAreValid(text, digit: { $0.isASCII && $0.isNumber }) else { return nil }
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

    private static func isLocalDate(_ text: String) -> Bool {
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

    private static func isDateTime(_ text: String) -> Bool {
        if isLocalDate(text) { return true }
        if isLocalTime(Substring(text)) { return true }
        guard text.count > 11 else { return false }
        let date = String(text.prefix(10))
        let separator = text[text.index(text.startIndex, offsetBy: 10)]
        guard isLocalDate(date), separator == "T" || separator == "t" || separator == " " else { return false }
        return isLocalTime(text.dropFirst(11))
    }

    // MARK: Building tables

    private mutating func insert(_ value: TOMLValue, at tablePath: [String], key: [String], line: Int) throws(TOMLSyntaxError) {
        let fullKey = tablePath + key
        for depth in 1..<max(key.count, 1) {
            let prefix = tablePath + key.prefix(depth)
            if inlineValues.contains(prefix) {
                throw TOMLSyntaxError(line: line, column: 1, message: "key '\(fullKey.joined(separator: "."))' adds to a table written inline")
            }
            dottedTables.insert(prefix)
        }
        seal(value, at: fullKey)
        try Self.modify(&root, path: tablePath[...], line: line, arrayTables: arrayTables) { (table: inout TOMLTable) throws(TOMLSyntaxError) in
            try Self.insert(value, into: &table, path: key[...], line: line, fullKey: fullKey) { message in
                TOMLSyntaxError(line: line, column: 1, message: message)
            }
        }
    }

    private static func insert(_ value: TOMLValue, into table: inout TOMLTable, path: ArraySlice<String>, line: Int, fullKey: [String],
                               makeError: (String) -> TOMLSyntaxError) throws(TOMLSyntaxError) {
        let name = path.first!
        if path.count == 1 {
            guard table[name] == nil else { throw makeError("key '\(fullKey.joined(separator: "."))' is defined twice") }
            table[name] = .init(value: value, line: line)
            return
        }
        var child: TOMLTable
        switch table[name]?.value {
        case nil: child = TOMLTable(line: line)
        case .table(let existing)?: child = existing
        default: throw makeError("key '\(fullKey.joined(separator: "."))' extends '\(name)', which is not a table")
        }
        try insert(value, into: &child, path: path.dropFirst(), line: line, fullKey: fullKey, makeError: makeError)
        table[name] = .init(value: .table(child), line: table[name]?.line ?? line)
    }

    /// Marks a value written inline (an inline table, or an array holding them) and every table inside it as
    /// complete: no header or dotted key may add to it later.
    private mutating func seal(_ value: TOMLValue, at path: [String]) {
        switch value {
        case .table(let table):
            inlineValues.insert(path)
            for key in table.keys { if let entry = table[key] { seal(entry.value, at: path + [key]) } }
        case .array(let items):
            inlineValues.insert(path)
            for item in items { seal(item, at: path) }
        default: break
        }
    }

    /// Runs `body` on the table at `path`, creating tables on the way and stepping into the last element of
    /// arrays of tables (those made by `[[header]]`, listed in `arrayTables`).
    private static func modify(_ table: inout TOMLTable, path: ArraySlice<String>, line: Int, walked: [String] = [],
                               arrayTables: Set<[String]>,
                               _ body: (inout TOMLTable) throws(TOMLSyntaxError) -> Void) throws(TOMLSyntaxError) {
        guard let name = path.first else { return try body(&table) }
        let here = walked + [name]
        switch table[name]?.value {
        case nil:
            var child = TOMLTable(line: line)
            try modify(&child, path: path.dropFirst(), line: line, walked: here, arrayTables: arrayTables, body)
            table[name] = .init(value: .table(child), line: line)
        case .table(var child)?:
            try modify(&child, path: path.dropFirst(), line: line, walked: here, arrayTables: arrayTables, body)
            table[name]!.value = .table(child)
        case .array(var items)? where arrayTables.contains(here):
            guard case .table(var last) = items.removeLast() else { return }
            try modify(&last, path: path.dropFirst(), line: line, walked: here, arrayTables: arrayTables, body)
            items.append(.table(last))
            table[name]!.value = .array(items)
        default:
            throw TOMLSyntaxError(line: line, column: 1, message: "'\(name)' is already defined as a value, not a table")
        }
    }

    private mutating func ensureTable(at path: [String], line: Int) throws(TOMLSyntaxError) {
        if inlineValues.contains(where: { path.starts(with: $0) }) {
            throw TOMLSyntaxError(line: line, column: 1, message: "[\(path.joined(separator: "."))] adds to a table or array that was written inline")
        }
        try Self.modify(&root, path: path[...], line: line, arrayTables: arrayTables) { _ throws(TOMLSyntaxError) in }
    }

    private mutating func appendArrayTable(at path: [String], line: Int) throws(TOMLSyntaxError) {
        if inlineValues.contains(where: { path.starts(with: $0) }) || explicitTables.contains(path) || dottedTables.contains(path) {
            throw TOMLSyntaxError(line: line, column: 1, message: "[[\(path.joined(separator: "."))]] redefines a table or an array written inline")
        }
        let parent = path.dropLast()
        let name = path.last!
        let isArrayTable = arrayTables.contains(path)
        try Self.modify(&root, path: parent, line: line, arrayTables: arrayTables) { (table: inout TOMLTable) throws(TOMLSyntaxError) in
            switch table[name]?.value {
            case nil: table[name] = .init(value: .array([.table(TOMLTable(line: line))]), line: line)
            case .array(var items)? where isArrayTable:
                items.append(.table(TOMLTable(line: line)))
                table[name]!.value = .array(items)
            default:
                throw TOMLSyntaxError(line: line, column: 1, message: "[[\(path.joined(separator: "."))]] is already defined as a value")
            }
        }
        arrayTables.insert(path)
        // Sub-tables of the previous element may be opened again for the new one.
        explicitTables = explicitTables.filter { !($0.count > path.count && Array($0.prefix(path.count)) == path) }
    }

    // MARK: Scanning

    private func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func lookingAt(_ text: String) -> Bool {
        var i = index
        for s in text.unicodeScalars {
            guard i < scalars.count, scalars[i] == s else { return false }
            i += 1
        }
        return true
    }

    private mutating func expect(_ c: Unicode.Scalar) throws(TOMLSyntaxError) {
        guard peek() == c else {
            throw error(peek().map { "expected '\(c)', found '\($0)'" } ?? "expected '\(c)' before the end of the file")
        }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let c = peek(), c == " " || c == "\t" { index += 1 }
    }

    private mutating func skipComment() {
        while let c = peek(), c != "\n" { index += 1 }
    }

    private mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLSyntaxError) {
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

    private mutating func advanceLine() {
        index += 1
        line += 1
        lineStart = index
    }

    /// After a value or header only whitespace and a comment may follow on the same line.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipWhitespace()
        if peek() == "#" { skipComment() }
        if peek() == "\r" { index += 1 }
        guard let c = peek() else { return }
        guard c == "\n" else { throw error("unexpected '\(c)' after the value (one key = value per line)") }
        advanceLine()
    }

    private static func isControl(_ c: Unicode.Scalar) -> Bool { c.value < 0x20 && c != "\t" || c.value == 0x7F }

    private func error(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, column: index - lineStart + 1, message: message)
    }
}
