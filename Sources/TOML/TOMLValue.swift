/// A value read from a TOML document, with the line it was written on kept beside it in ``TOMLTable``.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// An offset or local date-time, local date or local time, kept as written (RFC 3339 text).
    case dateTime(String)
    case array([TOMLValue])
    case table(TOMLTable)

    /// The TOML type's name, for error messages.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .dateTime: "date-time"
        case .array: "array"
        case .table: "table"
        }
    }
}

/// A TOML table: keys in the order they were written, each with its value and the line that set it.
public struct TOMLTable: Equatable, Sendable {
    /// One key of a table.
    public struct Entry: Equatable, Sendable {
        public var value: TOMLValue
        /// 1-based line of the key (or of the `[table]` header that opened it).
        public var line: Int
    }

    public private(set) var keys: [String] = []
    private var entries: [String: Entry] = [:]
    /// The line of the header (or key) that opened this table; 0 for the document root.
    public var line: Int

    public init(line: Int = 0) { self.line = line }

    public subscript(key: String) -> Entry? {
        get { entries[key] }
        set {
            if entries[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            entries[key] = newValue
        }
    }
}
