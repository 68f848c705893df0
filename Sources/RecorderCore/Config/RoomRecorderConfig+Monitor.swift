import Foundation

extension MonitorSettings {
    /// Reads `[monitor]`; every key has a default.
    init(reading monitor: ConfigReader) throws(ConfigError) {
        self.init()
        silenceDbfs = try monitor.number("silence_dbfs", default: silenceDbfs, range: -120...0)
        silenceSeconds = try monitor.number("silence_seconds", default: silenceSeconds, range: 1...3600)
        clippingDbfs = try monitor.number("clipping_dbfs", default: clippingDbfs, range: -20...0)
        clippingWindows = try monitor.integer("clipping_windows", default: clippingWindows, range: 1...10)
        frozenSeconds = try monitor.number("frozen_seconds", default: frozenSeconds, range: 1...3600)
        blackLuma = try monitor.number("black_luma", default: blackLuma, range: 0...255)
        blackSeconds = try monitor.number("black_seconds", default: blackSeconds, range: 1...3600)
        missedStartSeconds = try monitor.number("missed_start_seconds", default: missedStartSeconds, range: 1...3600)
        previewIdleSeconds = try monitor.number("preview_idle_seconds", default: previewIdleSeconds, range: 1...3600)
        previewWhenIdle = try monitor.boolean("preview_when_idle", default: previewWhenIdle)
        try monitor.rejectUnknownKeys()
    }
}

extension RoomRecorderConfig {
    /// `[panel]`: the room panel in the browser, also on a TCP address for a kiosk on the room's own screen.
    public struct Panel: Equatable, Sendable {
        /// `host:port` the panel (and the API as a viewer, or as an operator with the token) is served on; nil:
        /// the control socket only. A systemd socket (`roomrec-panel.socket`) may pass it instead.
        public var listen: (host: String, port: Int)?
        /// A file holding the operator's bearer token (mode 600, or `$CREDENTIALS_DIRECTORY/<name>`).
        public var operatorTokenFile: String?

        public init() {}

        public static func == (a: Panel, b: Panel) -> Bool {
            a.listen?.host == b.listen?.host && a.listen?.port == b.listen?.port && a.operatorTokenFile == b.operatorTokenFile
        }
    }
}

extension RoomRecorderConfig.Panel {
    /// Reads `[panel]`.
    init(reading panel: ConfigReader) throws(ConfigError) {
        self.init()
        if let listen = try panel.string("listen"), !listen.isEmpty {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (1...65535).contains(port) else {
                throw panel.error("listen", "expected host:port such as \"127.0.0.1:8480\", got \"\(listen)\"")
            }
            var host = String(listen[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw panel.error("listen", "expected host:port such as \"127.0.0.1:8480\", got \"\(listen)\"") }
            self.listen = (host, port)
        }
        if let file = try panel.string("operator_token_file"), !file.isEmpty {
            guard file.hasPrefix("/") || file.hasPrefix("$CREDENTIALS_DIRECTORY/") else {
                throw panel.error("operator_token_file", "expected an absolute file holding the token (or $CREDENTIALS_DIRECTORY/<name> with LoadCredential=)")
            }
            operatorTokenFile = file
        }
        try panel.rejectUnknownKeys()
    }
}
