/// Builds a document's tables from its headers and key/value lines, and keeps TOML's rules about which table
/// may be defined or added to when: a table is defined once, by a header or by dotted keys; what is written
/// inline is complete; a header steps into the last table of an array made by `[[header]]`. ``TOMLParser``
/// reads the syntax and hands each header and key here, with the line that errors then name. An inline table is
/// built by a builder of its own, so that the same rules hold inside its braces.
struct TOMLTableBuilder {
    private(set) var root: TOMLTable
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

    /// A builder for a document (line 0) or for an inline table opened on `line`.
    init(line: Int = 0) { root = TOMLTable(line: line) }

    /// `[path]`: the table that the following key/value lines write into.
    mutating func openTable(_ path: [String], line: Int) throws(TOMLSyntaxError) {
        if explicitTables.contains(path) || dottedTables.contains(path) {
            throw TOMLSyntaxError(line: line, column: 1, message: "table [\(path.joined(separator: "."))] is defined twice")
        }
        if arrayTables.contains(path) {
            throw TOMLSyntaxError(line: line, column: 1,
                                  message: "[\(path.joined(separator: "."))] is an array of tables ([[\(path.joined(separator: "."))]]), not a table")
        }
        try ensureTable(at: path, line: line)
        explicitTables.insert(path)
        currentPath = path
    }

    /// `[[path]]`: a new table at the end of the array, which the following key/value lines write into.
    mutating func appendArrayTable(_ path: [String], line: Int) throws(TOMLSyntaxError) {
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
        // The new element is a table of its own: what the previous one defined below it (sub-tables, dotted keys,
        // inline values, nested arrays of tables) may be defined again in this one.
        let below = { (other: [String]) in other.count > path.count && other.starts(with: path) }
        explicitTables = explicitTables.filter { !below($0) }
        dottedTables = dottedTables.filter { !below($0) }
        inlineValues = inlineValues.filter { !below($0) }
        arrayTables = arrayTables.filter { !below($0) }
        arrayTables.insert(path)
        currentPath = path
    }

    /// `key = value` in the current table; `key` has more than one part when it is dotted.
    mutating func insert(_ value: TOMLValue, key: [String], line: Int) throws(TOMLSyntaxError) {
        let tablePath = currentPath
        let fullKey = tablePath + key
        for depth in 1..<max(key.count, 1) {
            let prefix = tablePath + key.prefix(depth)
            if inlineValues.contains(prefix) {
                throw TOMLSyntaxError(line: line, column: 1, message: "key '\(fullKey.joined(separator: "."))' adds to a table written inline")
            }
            // A table a header defined is complete under its header; dotted keys elsewhere may not add to it.
            if explicitTables.contains(prefix) {
                throw TOMLSyntaxError(line: line, column: 1,
                                      message: "key '\(fullKey.joined(separator: "."))' adds to table [\(prefix.joined(separator: "."))], defined by its header")
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

    /// Sets `path` (a dotted key's parts) in `table`, creating the tables on its way.
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
}
