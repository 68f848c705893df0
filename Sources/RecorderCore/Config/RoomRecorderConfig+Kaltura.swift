import Foundation

extension RoomRecorderConfig {
    /// `[library.kaltura]`: a Kaltura partner as the media library, entries made with a session from an app token.
    public struct Kaltura: Equatable, Sendable {
        /// e.g. `https://www.kaltura.com`; the API is under `<service_url>/api_v3/`.
        public var serviceURL = "https://www.kaltura.com"
        public var partnerId: Int
        /// The app token's id; its token is read from `appTokenFile`.
        public var appTokenId: String
        /// A file readable only by the service user, or `$CREDENTIALS_DIRECTORY/<name>` from `LoadCredential=`.
        public var appTokenFile: String
        /// The app token's hash type: `SHA1` (Kaltura's default), `SHA256`, `SHA512` or `MD5`.
        public var appTokenHashType = "SHA1"
        /// The user the session acts as, when the app token does not fix one.
        public var sessionUserId: String?
        /// The room's Recordings category, which every entry is added to.
        public var categoryId: Int?
        /// Bytes per `uploadToken.upload` call: chunks are streamed from the file, and a smaller one loses less to
        /// an interrupted request.
        public var chunkSizeBytes = 10 << 20
    }
}

extension RoomRecorderConfig.Kaltura {
    /// Reads `[library.kaltura]`: `partner_id`, `app_token_id` and `app_token_file` are needed, the other keys have
    /// defaults.
    init(reading kaltura: ConfigReader) throws(ConfigError) {
        serviceURL = try kaltura.nonEmptyString("service_url", default: serviceURL)
        guard let parsed = URL(string: serviceURL), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
            throw kaltura.error("service_url", "expected an http:// or https:// URL, got \"\(serviceURL)\"")
        }
        guard kaltura.table["partner_id"] != nil else {
            throw kaltura.error("partner_id", "the kaltura target needs the partner id ([library.kaltura] partner_id = 1234567)")
        }
        partnerId = try kaltura.integer("partner_id", default: 0, range: 1...Int(Int32.max))
        guard let tokenId = try kaltura.string("app_token_id"), !tokenId.isEmpty else {
            throw kaltura.error("app_token_id", "the kaltura target needs an app token (appToken.add), not an admin secret: app_token_id = \"0_…\"")
        }
        appTokenId = tokenId
        guard let tokenFile = try kaltura.string("app_token_file"), tokenFile.hasPrefix("/") || tokenFile.hasPrefix("$CREDENTIALS_DIRECTORY/") else {
            throw kaltura.error("app_token_file", "the kaltura target needs an absolute app_token_file holding the token (or $CREDENTIALS_DIRECTORY/<name> with LoadCredential=)")
        }
        appTokenFile = tokenFile
        appTokenHashType = try kaltura.string("app_token_hash_type", default: appTokenHashType).uppercased()
        guard ["SHA1", "SHA256", "SHA512", "MD5"].contains(appTokenHashType) else {
            throw kaltura.error("app_token_hash_type", "expected the app token's hashType: SHA1, SHA256, SHA512 or MD5, got \"\(appTokenHashType)\"")
        }
        sessionUserId = try kaltura.string("session_user_id").flatMap { $0.isEmpty ? nil : $0 }
        if kaltura.table["category_id"] != nil {
            categoryId = try kaltura.integer("category_id", default: 0, range: 1...Int(Int32.max))
        }
        chunkSizeBytes = try kaltura.integer("chunk_size_mb", default: chunkSizeBytes >> 20, range: 1...100) << 20
        try kaltura.rejectUnknownKeys()
    }
}
