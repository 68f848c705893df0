extension RoomRecorderConfig {
    /// `[control]`: the control socket and who may do what through it.
    public struct Control: Equatable, Sendable {
        public var socketPath = "/run/roomrec/control.sock"
        /// Owner, group and mode of the socket file when the daemon binds it itself (under systemd,
        /// `roomrec.socket` sets them).
        public var socketOwner = "root"
        public var socketGroup = "roomrec"
        public var socketMode: UInt32 = 0o660
        /// Members of this group are administrators (root always is).
        public var adminGroup = "roomrec-admin"
        /// Members of this group are operators: a room panel or teacher console.
        public var operatorGroup = "roomrec"
        /// When set, the metrics of `GET /metrics` are also written to this file every 15 s, for node_exporter's
        /// textfile collector (a fleet scrapes them without the socket being opened to it).
        public var metricsTextfile: String?
    }
}

extension RoomRecorderConfig.Control {
    /// Reads `[control]`; a key left out keeps its default.
    init(reading control: ConfigReader) throws(ConfigError) {
        self.init()
        socketPath = try control.absolutePath("socket", default: socketPath)
        guard socketPath.utf8.count < 108 else {
            throw control.error("socket", "a Unix socket path must be shorter than 108 bytes")
        }
        socketOwner = try control.nonEmptyString("socket_owner", default: socketOwner)
        socketGroup = try control.nonEmptyString("socket_group", default: socketGroup)
        if let mode = try control.string("socket_mode") {
            guard mode.count == 4, mode.hasPrefix("0"), let parsed = UInt32(mode, radix: 8), parsed & 0o7000 == 0 else {
                throw control.error("socket_mode", "expected an octal file mode such as \"0660\", got \"\(mode)\"")
            }
            socketMode = parsed
        }
        adminGroup = try control.nonEmptyString("admin_group", default: adminGroup)
        operatorGroup = try control.nonEmptyString("operator_group", default: operatorGroup)
        if try control.string("metrics_textfile") != nil {
            let path = try control.absolutePath("metrics_textfile", default: "")
            guard path.hasSuffix(".prom") else { throw control.error("metrics_textfile", "node_exporter reads only files ending in .prom, got \"\(path)\"") }
            metricsTextfile = path
        }
        try control.rejectUnknownKeys()
    }
}
