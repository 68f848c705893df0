extension RoomRecorderConfig {
    /// `[daemon]`: the daemon itself.
    public struct Daemon: Equatable, Sendable {
        /// Holds the catalog database (`roomrec.sqlite`).
        public var stateDirectory = "/var/lib/roomrec"
        public var logLevel = LogLevel.info
    }
}

extension RoomRecorderConfig.Daemon {
    /// Reads `[daemon]`; a key left out keeps its default.
    init(reading daemon: ConfigReader) throws(ConfigError) {
        self.init()
        stateDirectory = try daemon.absolutePath("state_dir", default: stateDirectory)
        logLevel = try daemon.choice("log_level", default: logLevel)
        try daemon.rejectUnknownKeys()
    }
}

/// Log verbosity.
public enum LogLevel: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}
