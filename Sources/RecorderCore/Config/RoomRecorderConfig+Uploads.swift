extension RoomRecorderConfig {
    /// `[uploads]`: how uploads use the network, and how long delivered files stay.
    public struct Uploads: Equatable, Sendable {
        /// A limit for all uploads together, in bytes per second; 0 for none.
        public var maxBytesPerSecond = 0
        /// Days a delivered recording stays on this computer before its local file is removed.
        public var retentionDays = 30
        /// Free space to keep where recordings are written: below it, delivered files go early, oldest first.
        public var minimumFreeBytes: Int64 = 10 << 30
        /// Uploads run at the same time, at most.
        public var workers = 1
        /// When uploads may use the network (local time); none: any time.
        public var windows = UploadWindows()
        /// Whether uploads run while a recording is made (false keeps the network and disk for the recording).
        public var whileRecording = true
    }
}

extension RoomRecorderConfig.Uploads {
    /// Reads `[uploads]`; a key left out keeps its default.
    init(reading uploads: ConfigReader) throws(ConfigError) {
        self.init()
        maxBytesPerSecond = try uploads.integer("max_bytes_per_second", default: maxBytesPerSecond, range: 0...(1 << 40))
        guard maxBytesPerSecond == 0 || maxBytesPerSecond >= 16 << 10 else {
            throw uploads.error("max_bytes_per_second", "must be 0 (no limit) or at least 16384 bytes per second")
        }
        retentionDays = try uploads.integer("retention_days", default: retentionDays, range: 0...3650)
        minimumFreeBytes = Int64(try uploads.integer("min_free_gb", default: Int(minimumFreeBytes >> 30), range: 0...100_000)) << 30
        workers = try uploads.integer("workers", default: workers, range: 1...8)
        if let texts = try uploads.strings("windows") {
            var windows: [UploadWindows.Window] = []
            for text in texts {
                guard let window = UploadWindows.Window(text) else {
                    throw uploads.error("windows", "expected times of day as \"HH:MM-HH:MM\" (e.g. \"18:00-07:00\"), got \"\(text)\"")
                }
                windows.append(window)
            }
            self.windows = UploadWindows(windows)
        }
        whileRecording = try uploads.boolean("while_recording", default: whileRecording)
        try uploads.rejectUnknownKeys()
    }
}
