import Foundation

extension RoomRecorderConfig {
    /// `[library.s3]`: an S3 bucket (AWS or S3-compatible) as the media library.
    public struct S3: Equatable, Sendable {
        /// `https://s3.<region>.amazonaws.com` for AWS (the default), or the store's own URL.
        public var endpoint: String
        public var region = "us-east-1"
        public var bucket: String
        /// Path-style (`host/bucket/key`) or virtual-hosted (`bucket.host/key`) addressing; by default
        /// virtual-hosted on AWS and path-style with an `endpoint` of its own.
        public var pathStyle: Bool
        /// Parts are streamed from the file; S3 wants at least 5 MiB for all but the last, and 10,000 parts at most.
        public var partSizeBytes = 16 << 20
        /// `{room}`, `{filename}`, `{id}`, `{date}`.
        public var keyTemplate = "{room}/Recordings/{filename}"
        /// A file readable only by the service user, or `$CREDENTIALS_DIRECTORY/<name>` from `LoadCredential=`.
        public var credentialsFile: String
        /// S3's additional checksums (SHA-256 per part, checked and kept by the store); off for stores too old to know them.
        public var checksums = true
    }
}

extension RoomRecorderConfig.S3 {
    /// Reads `[library.s3]`: `bucket` and `credentials_file` are needed, the other keys have defaults.
    init(reading s3: ConfigReader) throws(ConfigError) {
        guard let bucket = try s3.string("bucket"), !bucket.isEmpty else {
            throw s3.error("bucket", "the s3 target needs a bucket ([library.s3] bucket = \"…\")")
        }
        self.bucket = bucket
        region = try s3.nonEmptyString("region", default: region)
        let endpoint = try s3.string("endpoint")
        self.endpoint = endpoint ?? "https://s3.\(region).amazonaws.com"
        guard let parsed = URL(string: self.endpoint), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
            throw s3.error("endpoint", "expected an http:// or https:// URL, got \"\(self.endpoint)\"")
        }
        let addressing = try s3.string("addressing", default: endpoint == nil ? "virtual" : "path")
        guard addressing == "path" || addressing == "virtual" else {
            throw s3.error("addressing", "expected \"path\" or \"virtual\", got \"\(addressing)\"")
        }
        pathStyle = addressing == "path"
        partSizeBytes = try s3.integer("part_size_mb", default: partSizeBytes >> 20, range: 5...128) << 20
        keyTemplate = try s3.nonEmptyString("key_template", default: keyTemplate)
        guard keyTemplate.contains("{filename}") || keyTemplate.contains("{id}") else {
            throw s3.error("key_template", "must contain {filename} or {id}, so that recordings do not overwrite each other")
        }
        guard let credentials = try s3.string("credentials_file"), credentials.hasPrefix("/") || credentials.hasPrefix("$CREDENTIALS_DIRECTORY/") else {
            throw s3.error("credentials_file", "the s3 target needs an absolute credentials_file (or $CREDENTIALS_DIRECTORY/<name> with LoadCredential=)")
        }
        credentialsFile = credentials
        checksums = try s3.boolean("checksums", default: checksums)
        try s3.rejectUnknownKeys()
    }
}
