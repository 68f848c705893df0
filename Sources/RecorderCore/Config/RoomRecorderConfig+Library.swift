extension RoomRecorderConfig {
    /// `[library]`: where finished recordings are delivered.
    public struct Library: Equatable, Sendable {
        public var target = LibraryTarget.folder
        /// For the `folder` target: files land in `<path>/<room id>/Recordings/`.
        public var path = "/var/lib/roomrec/library"
        /// `[library.s3]`, which the `s3` target needs; read whenever the section is there.
        public var s3: S3? = nil
        /// `[library.kaltura]`, which the `kaltura` target needs; read whenever the section is there.
        public var kaltura: Kaltura? = nil
    }
}

extension RoomRecorderConfig.Library {
    /// Reads `[library]` with its `[library.s3]` and `[library.kaltura]`; a key left out keeps its default.
    init(reading library: ConfigReader) throws(ConfigError) {
        self.init()
        target = try library.choice("target", default: target)
        path = try library.absolutePath("path", default: path)
        let s3 = try library.section("s3")
        let kaltura = try library.section("kaltura")
        if target == .kaltura, kaltura.table.keys.isEmpty {
            throw library.error("target", "target = \"kaltura\" needs a [library.kaltura] section (partner_id, app_token_id, app_token_file)")
        }
        if target == .s3, s3.table.keys.isEmpty {
            throw library.error("target", "target = \"s3\" needs a [library.s3] section (bucket, credentials_file)")
        }
        if target == .s3 || !s3.table.keys.isEmpty {
            self.s3 = try RoomRecorderConfig.S3(reading: s3)
        }
        if target == .kaltura || !kaltura.table.keys.isEmpty {
            self.kaltura = try RoomRecorderConfig.Kaltura(reading: kaltura)
        }
        try library.rejectUnknownKeys()
    }
}

/// Media-library targets.
public enum LibraryTarget: String, Codable, Sendable, CaseIterable {
    /// A local (or mounted) folder.
    case folder
    /// An S3 bucket: AWS S3 or an S3-compatible store ([library.s3]).
    case s3
    /// A Kaltura partner's media library ([library.kaltura]).
    case kaltura
    /// Ingested into Opencast as a capture agent's recordings ([opencast]).
    case opencast
}
