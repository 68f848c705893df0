import TOML

/// A TOML document in the toml-test convention: every scalar as its type and its text, tables as objects and
/// arrays as arrays. Both sides of the conformance test are read into it, the reference from the JSON that
/// Tests/Peers/toml_reference.py prints and the Swift parser's ``TOMLTable`` by ``init(_:)``, so that they
/// compare the same way whatever each side's native types are.
indirect enum TaggedValue {
    case scalar(type: String, value: String)
    case array([TaggedValue])
    case table([String: TaggedValue])

    /// Reads the reference's JSON (from JSONSerialization); nil when it is not tagged JSON.
    init?(json: Any) {
        if let items = json as? [Any] {
            var values: [TaggedValue] = []
            for item in items {
                guard let value = TaggedValue(json: item) else { return nil }
                values.append(value)
            }
            self = .array(values)
        } else if let object = json as? [String: Any] {
            if object.count == 2, let type = object["type"] as? String, let value = object["value"] as? String {
                self = .scalar(type: type, value: value)
                return
            }
            var entries: [String: TaggedValue] = [:]
            for (key, item) in object {
                guard let value = TaggedValue(json: item) else { return nil }
                entries[key] = value
            }
            self = .table(entries)
        } else {
            return nil
        }
    }

    init(_ table: TOMLTable) {
        var entries: [String: TaggedValue] = [:]
        for key in table.keys { if let entry = table[key] { entries[key] = TaggedValue(entry.value) } }
        self = .table(entries)
    }

    init(_ value: TOMLValue) {
        switch value {
        case .string(let s): self = .scalar(type: "string", value: s)
        case .integer(let n): self = .scalar(type: "integer", value: String(n))
        case .float(let d): self = .scalar(type: "float", value: d.isNaN ? "nan" : String(d))
        case .boolean(let b): self = .scalar(type: "bool", value: b ? "true" : "false")
        case .dateTime(let text):
            let (type, canonical) = Self.canonicalDateTime(text)
            self = .scalar(type: type, value: canonical)
        case .array(let items): self = .array(items.map(TaggedValue.init))
        case .table(let table): self = TaggedValue(table)
        }
    }

    /// Where `actual` differs from `self` (the expected tree), named by its key path; nil when they are the same.
    /// Integers and floats compare by value (inf, nan and the sign of zero included), everything else by text.
    func difference(from actual: TaggedValue, at path: String = "") -> String? {
        let place = path.isEmpty ? "the document" : path
        switch (self, actual) {
        case let (.scalar(type, value), .scalar(actualType, actualValue)):
            guard type == actualType else {
                return "\(place): expected \(type) \(Self.quoted(value)), the Swift parser gives \(actualType) \(Self.quoted(actualValue))"
            }
            guard Self.sameScalar(type: type, value, actualValue) else {
                return "\(place): expected \(type) \(Self.quoted(value)), the Swift parser gives \(Self.quoted(actualValue))"
            }
            return nil
        case let (.array(items), .array(actualItems)):
            guard items.count == actualItems.count else {
                return "\(place): expected an array of \(items.count), the Swift parser gives \(actualItems.count)"
            }
            for (index, (item, actualItem)) in zip(items, actualItems).enumerated() {
                if let difference = item.difference(from: actualItem, at: "\(path)[\(index)]") { return difference }
            }
            return nil
        case let (.table(entries), .table(actualEntries)):
            for key in entries.keys.sorted() {
                let keyPath = path.isEmpty ? Self.quotedKey(key) : "\(path).\(Self.quotedKey(key))"
                guard let actualValue = actualEntries[key] else { return "\(keyPath): missing in the Swift parser's table" }
                if let difference = entries[key]!.difference(from: actualValue, at: keyPath) { return difference }
            }
            if let extra = actualEntries.keys.sorted().first(where: { entries[$0] == nil }) {
                return "\(place): the Swift parser has a key \(Self.quoted(extra)) that tomllib does not"
            }
            return nil
        default:
            return "\(place): expected \(kind), the Swift parser gives \(actual.kind)"
        }
    }

    private var kind: String {
        switch self {
        case .scalar(let type, _): type
        case .array: "an array"
        case .table: "a table"
        }
    }

    private static func sameScalar(type: String, _ expected: String, _ actual: String) -> Bool {
        switch type {
        case "integer":
            return Int64(expected) == Int64(actual) && Int64(expected) != nil
        case "float":
            guard let e = Double(expected), let a = Double(actual) else { return false }
            return e.isNaN ? a.isNaN : e == a && e.sign == a.sign
        default:
            return expected == actual
        }
    }

    /// The kind of a date-time the Swift parser keeps as text, and the text in Python's isoformat: "T" between
    /// date and time, the fraction truncated to microseconds and left out when zero, a zero offset as +00:00.
    /// (TOML requires at least milliseconds and truncation beyond what is kept, which both sides do this way.)
    static func canonicalDateTime(_ text: String) -> (type: String, value: String) {
        let chars = Array(text)
        let hasDate = chars.count >= 10 && chars[4] == "-"
        if hasDate && chars.count == 10 { return ("date-local", text) }
        let date = hasDate ? String(chars[0..<10]) + "T" : ""
        var rest = hasDate ? Array(chars.dropFirst(11)) : chars
        let time = String(rest.prefix(8))
        rest.removeFirst(min(8, rest.count))
        var fraction = ""
        if rest.first == "." {
            rest.removeFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest.removeFirst(digits.count)
            let micros = String((String(digits) + "000000").prefix(6))
            if micros != "000000" { fraction = "." + micros }
        }
        let offset = String(rest)
        guard hasDate else { return ("time-local", time + fraction + offset) }
        if offset.isEmpty { return ("datetime-local", date + time + fraction) }
        let canonicalOffset = ["Z", "z", "-00:00"].contains(offset) ? "+00:00" : offset
        return ("datetime", date + time + fraction + canonicalOffset)
    }

    private static func quoted(_ text: String) -> String { "\"\(text.debugDescription.dropFirst().dropLast())\"" }

    private static func quotedKey(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" }
        return bare ? key : quoted(key)
    }
}
