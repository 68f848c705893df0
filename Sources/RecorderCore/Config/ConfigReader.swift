import Foundation
import TOML

/// Reads typed values out of a parsed TOML table, turning every mistake into a ``ConfigError`` that names the
/// file, the line and the key, and rejecting keys it was never asked for (a typo must not pass silently).
struct ConfigReader {
    let file: String
    let table: TOMLTable
    let prefix: String
    private let consumed: Box

    private final class Box { var keys: Set<String> = [] }

    init(file: String, table: TOMLTable, prefix: String = "") {
        self.file = file
        self.table = table
        self.prefix = prefix
        self.consumed = Box()
    }

    func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: table[key]?.line ?? (table.line > 0 ? table.line : nil), key: path(key), message: message)
    }

    /// Whether the table sets `key`.
    func has(_ key: String) -> Bool { table[key] != nil }

    /// A sub-table; an empty one when the section is absent.
    func section(_ key: String) throws(ConfigError) -> ConfigReader {
        consumed.keys.insert(key)
        switch table[key]?.value {
        case nil: return ConfigReader(file: file, table: TOMLTable(), prefix: path(key))
        case .table(let child)?: return ConfigReader(file: file, table: child, prefix: path(key))
        case let other?: throw error(key, "expected a table ([\(path(key))]), found a \(other.typeName)")
        }
    }

    /// Every key of this table as an integer (true and false as 1 and 0), for free-form settings such as camera
    /// controls; any other type names its key.
    func integers() throws(ConfigError) -> [String: Int] {
        var values: [String: Int] = [:]
        for key in table.keys {
            consumed.keys.insert(key)
            switch table[key]?.value {
            case .integer(let n)?: values[key] = Int(n)
            case .boolean(let b)?: values[key] = b ? 1 : 0
            case let other?: throw error(key, "expected a number or true/false, found a \(other.typeName)")
            case nil: break
            }
        }
        return values
    }

    /// Every key of this table as a string, for free-form maps such as breakout rooms' names; any other type names
    /// its key.
    func strings() throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        for key in table.keys {
            consumed.keys.insert(key)
            switch table[key]?.value {
            case .string(let text)?: values[key] = text
            case let other?: throw error(key, "expected a string, found a \(other.typeName)")
            case nil: break
            }
        }
        return values
    }

    /// The raw value of `key`, for keys that take more than one type.
    func value(_ key: String) throws(ConfigError) -> TOMLValue? {
        consumed.keys.insert(key)
        return table[key]?.value
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        consumed.keys.insert(key)
        switch table[key]?.value {
        case nil: return nil
        case .string(let s)?: return s
        case let other?: throw error(key, "expected a string, found a \(other.typeName)")
        }
    }

    func string(_ key: String, default value: String) throws(ConfigError) -> String {
        try string(key) ?? value
    }

    /// A duration written as "24h", "90m", "1h30m" or "45s" (a ``TimeSpan``'s configuration text), in seconds,
    /// within `range`.
    func duration(_ key: String, default value: TimeInterval, range: ClosedRange<TimeSpan>) throws(ConfigError) -> TimeInterval {
        guard let text = try string(key) else { return value }
        guard let span = TimeSpan(configText: text), range.contains(span) else {
            throw error(key, "expected a duration from \"\(range.lowerBound.configText)\" to \"\(range.upperBound.configText)\""
                        + " (such as \"12h\", \"90m\" or \"1h30m\"), got \"\(text)\"")
        }
        return span.timeInterval
    }

    func nonEmptyString(_ key: String, default value: String) throws(ConfigError) -> String {
        let s = try string(key, default: value)
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw error(key, "must not be empty") }
        return s
    }

    func integer(_ key: String, default value: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        consumed.keys.insert(key)
        switch table[key]?.value {
        case nil: return value
        case .integer(let i)?:
            guard let v = Int(exactly: i), range.contains(v) else {
                throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(i)")
            }
            return v
        case let other?: throw error(key, "expected an integer, found a \(other.typeName)")
        }
    }

    /// A number (an integer or a float) within `range`.
    func number(_ key: String, default value: Double, range: ClosedRange<Double>) throws(ConfigError) -> Double {
        consumed.keys.insert(key)
        let number: Double
        switch table[key]?.value {
        case nil: return value
        case .integer(let i)?: number = Double(i)
        case .float(let f)?: number = f
        case let other?: throw error(key, "expected a number, found a \(other.typeName)")
        }
        guard range.contains(number) else { throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        return number
    }

    func boolean(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        consumed.keys.insert(key)
        switch table[key]?.value {
        case nil: return value
        case .boolean(let b)?: return b
        case let other?: throw error(key, "expected true or false, found a \(other.typeName)")
        }
    }

    /// The items of an array; nil when the key is absent. `expected` names what belongs there, for the error.
    private func items(_ key: String, expected: String) throws(ConfigError) -> [TOMLValue]? {
        consumed.keys.insert(key)
        switch table[key]?.value {
        case nil: return nil
        case .array(let items)?: return items
        case let other?: throw error(key, "expected \(expected), found a \(other.typeName)")
        }
    }

    /// An array of strings; nil when the key is absent.
    func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let items = try items(key, expected: "an array of strings") else { return nil }
        var strings: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw error(key, "expected an array of strings, found a \(item.typeName) in it") }
            strings.append(s)
        }
        return strings
    }

    /// An array of tables (`[[key]]`), each read on its own; empty when the key is absent.
    func tables(_ key: String) throws(ConfigError) -> [ConfigReader] {
        var readers: [ConfigReader] = []
        for (index, item) in (try items(key, expected: "[[\(path(key))]] tables") ?? []).enumerated() {
            guard case .table(let child) = item else { throw error(key, "expected [[\(path(key))]] tables, found a \(item.typeName)") }
            readers.append(ConfigReader(file: file, table: child, prefix: "\(path(key))[\(index + 1)]"))
        }
        return readers
    }

    /// A calendar date, written `2026-09-01` (a TOML date) or `"2026-09-01"`; nil when the key is absent.
    func day(_ key: String) throws(ConfigError) -> String? {
        consumed.keys.insert(key)
        let text: String
        switch table[key]?.value {
        case nil: return nil
        case .string(let s)?: text = s
        case .dateTime(let s)?: text = s
        case let other?: throw error(key, "expected a date such as 2026-09-01, found a \(other.typeName)")
        }
        guard Timetable.isDay(text) else { throw error(key, "expected a date such as 2026-09-01, got \"\(text)\"") }
        return text
    }

    /// An array of calendar dates (each as ``day(_:)`` reads one); empty when the key is absent.
    func days(_ key: String) throws(ConfigError) -> [String] {
        var days: [String] = []
        for item in try items(key, expected: "an array of dates") ?? [] {
            switch item {
            case .string(let s), .dateTime(let s):
                guard Timetable.isDay(s) else { throw error(key, "expected dates such as 2026-12-24, got \"\(s)\"") }
                days.append(s)
            default: throw error(key, "expected dates such as 2026-12-24, found a \(item.typeName) in it")
            }
        }
        return days
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws(ConfigError) -> T where T.RawValue == String {
        guard let raw = try string(key) else { return value }
        guard let v = T(rawValue: raw) else {
            let options = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw error(key, "expected one of \(options), got \"\(raw)\"")
        }
        return v
    }

    func absolutePath(_ key: String, default value: String) throws(ConfigError) -> String {
        let p = try nonEmptyString(key, default: value)
        guard p.hasPrefix("/") else { throw error(key, "must be an absolute path, got \"\(p)\"") }
        return p
    }

    /// Fails on the first key of this table that no one read.
    func rejectUnknownKeys() throws(ConfigError) {
        for key in table.keys where !consumed.keys.contains(key) {
            throw error(key, "unknown key (check the spelling; see config/roomrec.toml for every key)")
        }
    }
}

import Foundation
