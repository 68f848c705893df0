import Foundation

extension RoomRecorderConfig {
    /// `[opencast]`: the room as an Opencast capture agent. Opencast's calendar for the agent is one more schedule
    /// source, the agent's state is posted to its capture-admin service, and `library.target = "opencast"` ingests
    /// recordings into it.
    public struct Opencast: Equatable, Sendable {
        /// How requests authenticate.
        public enum Auth: String, Equatable, Sendable, CaseIterable {
            /// A user with `ROLE_CAPTURE_AGENT`, what Opencast's capture-agent guide recommends.
            case basic
            /// The digest system account; every request says `X-Requested-Auth: Digest`.
            case digest
        }

        /// What becomes of a recording no Opencast event asked for (`roomrecctl start`, a booking, another source).
        public enum AdHoc: String, Equatable, Sendable, CaseIterable {
            /// Put into Opencast's schedule first (`ingest/schedule`), so the admin UI shows it while it records.
            case schedule
            /// Ingested afterwards as an unscheduled media package with ``workflow``.
            case unscheduled
        }

        /// The admin node, e.g. `https://opencast.example.edu`; the services are looked up there.
        public var url: String
        public var user: String
        /// A file holding the password, readable only by the service user, or `$CREDENTIALS_DIRECTORY/<name>`.
        public var passwordFile: String
        public var auth = Auth.basic
        /// The agent's name in Opencast; `room.id` when not set.
        public var agentName: String?
        /// A URL the admin UI links the agent to (its room panel); Opencast stores the caller's address without it.
        public var agentAddress: String?
        /// How often the agent's calendar is read, and how far ahead.
        public var calendarPollSeconds: TimeInterval = 60
        public var lookaheadDays = 14
        /// The workflow of a recording whose event names none (an unscheduled one), and its configuration.
        public var workflow = "schedule-and-upload"
        public var workflowConfiguration: [String: String] = [:]
        /// The flavor the recording's track is added with.
        public var flavor = "presenter/source"
        public var adHoc = AdHoc.unscheduled
        /// How long an ad-hoc recording is scheduled for in Opencast (it ends when stopped, whichever first).
        public var adHocMinutes = 60
        /// Endpoints that replace what the service registry says, for sites behind load balancers.
        public var captureAdminURL: String?
        public var schedulerURL: String?
        public var ingestURL: String?
        /// Extra trust roots for the server's certificate (a site CA), PEM.
        public var caFile: String?
        /// Certificate checks; turning them off is logged as an error at every start.
        public var verifyTLS = true

        /// The agent's name for a room.
        public func agent(in room: RoomRecorderConfig.Room) -> String { agentName ?? room.id }

        /// Opencast reads `<name>.json` and `<name>.xml` as formats of the agent `<name>`, and a `/` as a path.
        static func isAgentName(_ name: String) -> Bool { !name.contains("/") && !name.hasSuffix(".json") && !name.hasSuffix(".xml") }
    }
}

extension RoomRecorderConfig.Opencast {
    /// Reads `[opencast]` with `[opencast.workflow_configuration]` and `[opencast.services]`: `url`, `user` and
    /// `password_file` are needed, the other keys have defaults.
    init(reading opencast: ConfigReader) throws(ConfigError) {
        func httpURL(_ key: String, _ value: String, in reader: ConfigReader? = nil) throws(ConfigError) -> String {
            guard let parsed = URL(string: value), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
                throw (reader ?? opencast).error(key, "expected an http:// or https:// URL, got \"\(value)\"")
            }
            return value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        guard let url = try opencast.string("url") else {
            throw opencast.error("url", "the Opencast capture agent needs the admin node's URL: url = \"https://opencast.example.edu\"")
        }
        self.url = try httpURL("url", url)
        guard let user = try opencast.string("user"), !user.isEmpty else {
            throw opencast.error("user", "expected the user the agent signs in as (a user with ROLE_CAPTURE_AGENT, or the digest system account)")
        }
        self.user = user
        guard let file = try opencast.string("password_file"), file.hasPrefix("/") || file.hasPrefix("$CREDENTIALS_DIRECTORY/") else {
            throw opencast.error("password_file", "expected an absolute file holding the password, readable only by the roomrec user "
                                 + "(or $CREDENTIALS_DIRECTORY/<name> with LoadCredential=)")
        }
        passwordFile = file
        auth = try opencast.choice("auth", default: auth)
        agentName = try opencast.string("agent_name").flatMap { $0.isEmpty ? nil : $0 }
        if let name = agentName, !Self.isAgentName(name) {
            throw opencast.error("agent_name", "an agent name is one path segment that does not end in .json or .xml, got \"\(name)\"")
        }
        agentAddress = try opencast.string("agent_address").flatMap { $0.isEmpty ? nil : $0 }
        if let address = agentAddress { agentAddress = try httpURL("agent_address", address) }
        calendarPollSeconds = TimeInterval(try opencast.integer("calendar_poll_seconds", default: Int(calendarPollSeconds), range: 1...3600))
        lookaheadDays = try opencast.integer("lookahead_days", default: lookaheadDays, range: 1...365)
        workflow = try opencast.nonEmptyString("workflow", default: workflow)
        let configuration = try opencast.section("workflow_configuration")
        for key in configuration.table.keys.sorted() {
            guard let value = try configuration.string(key) else { continue }
            workflowConfiguration[key] = value
        }
        // Opencast lower-cases flavors.
        flavor = try opencast.nonEmptyString("flavor", default: flavor).lowercased()
        let parts = flavor.split(separator: "/", omittingEmptySubsequences: false)
        // A recording in parts is ingested as partial tracks, which Opencast takes only as presenter/* or presentation/*.
        guard parts.count == 2, ["presenter", "presentation"].contains(parts[0]), !parts[1].trimmingCharacters(in: .whitespaces).isEmpty else {
            throw opencast.error("flavor", "expected presenter/<subtype> or presentation/<subtype> such as \"presenter/source\", got \"\(flavor)\"")
        }
        adHoc = try opencast.choice("ad_hoc", default: adHoc)
        adHocMinutes = try opencast.integer("ad_hoc_minutes", default: adHocMinutes, range: 5...1440)
        let services = try opencast.section("services")
        for (key, keyPath) in [("capture_admin", \Self.captureAdminURL), ("scheduler", \Self.schedulerURL), ("ingest", \Self.ingestURL)] {
            if let value = try services.string(key), !value.isEmpty { self[keyPath: keyPath] = try httpURL(key, value, in: services) }
        }
        try services.rejectUnknownKeys()
        if let ca = try opencast.string("ca_file"), !ca.isEmpty {
            guard ca.hasPrefix("/") else { throw opencast.error("ca_file", "expected an absolute path to a PEM file, got \"\(ca)\"") }
            guard FileManager.default.isReadableFile(atPath: ca) else { throw opencast.error("ca_file", "\(ca) cannot be read") }
            caFile = ca
        }
        verifyTLS = try opencast.boolean("verify_tls", default: verifyTLS)
        try opencast.rejectUnknownKeys()
    }
}
