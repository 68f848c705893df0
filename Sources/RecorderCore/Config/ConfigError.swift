/// A configuration file that cannot be used: names the file, the line and the key.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    /// 1-based line: the key's, or for a key that is missing, the header of its table; nil when there is neither
    /// (a key missing from a section that is not in the file, a file that cannot be read).
    public let line: Int?
    /// The dotted key, e.g. `room.type` or `schedule.class[2].days`; nil for a TOML syntax error or a file that
    /// cannot be read.
    public let key: String?
    public let message: String

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }
}
