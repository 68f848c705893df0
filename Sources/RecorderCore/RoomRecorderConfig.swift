import Foundation
import TOML

/// Everything `roomrecd` reads from `/etc/roomrec/roomrec.toml` (see `config/roomrec.toml` for the commented
/// example). Every key has a default, so an empty file runs the embedded defaults: the synthetic stage,
/// SQLite in the state directory and a local media-library folder.
public struct RoomRecorderConfig: Equatable, Sendable {
    /// The default location of the configuration file.
    public static let defaultPath = "/etc/roomrec/roomrec.toml"

    /// The room this computer records.
    public struct Room: Equatable, Sendable {
        /// Stable id, used in folder names and object keys: letters, digits, `.`, `_` and `-`.
        public var id = "room"
        /// Human title; the meeting title of recordings that are started without one.
        public var title = "Room"
        public var type = RoomType.single
        /// Channel owner, media gallery owner or room entry owner, by room type.
        public var owner: String?
    }

    /// What the stage is captured from.
    public struct Capture: Equatable, Sendable {
        /// Video source; `synthetic` is the moving test stage with burned-in clock and frame number.
        public var camera = CameraSetting.synthetic
        /// Audio source; `synthetic` is a 48 kHz tone with a beep once a second, aligned with the video's flash.
        public var microphone = MicrophoneSetting.synthetic
        /// V4L2 controls set on the camera when it is opened, by the names `v4l2-ctl --list-ctrls` prints
        /// (`focus_absolute`, `white_balance_temperature`, `zoom_absolute`, …); booleans as 1 and 0.
        public var controls: [String: Int] = [:]
    }

    /// How recordings are encoded and where they are written while they run.
    public struct Recording: Equatable, Sendable {
        /// Folder for recordings in progress and finished files awaiting upload.
        public var outputDirectory = "/var/lib/roomrec/recordings"
        /// libx264 preset (ultrafast … veryslow).
        /// libx264 preset; `auto` measures the machine once (``X264Calibration``) and takes the slowest that keeps up.
        public var videoPreset = X264Preset.auto
        /// Which H.264 encoders may record, and in what order of preference.
        public var encoders = EncoderSelection.Policy.hardwareFirst
        public var videoBitrateKbps = 6000
        public var audioBitrateKbps = 160
        /// One recording lasts at most this long (the room platform's 24 hours, or less): at the cap it is
        /// finalized as `limit_reached`, and a booking or class still running goes on in a new part.
        public var maxDuration: TimeInterval = 24 * 3600
        /// A recording does not start with less free space than this where it is written.
        public var minimumFreeBytes: Int64 = 2 << 30
        /// A recording in progress stops cleanly, as a playable file, when free space falls under this.
        public var reserveBytes: Int64 = 512 << 20
        /// A session is recorded for at most this long (the platform's 72 hours, or less), across its parts.
        public var maxSessionDuration: TimeInterval = 72 * 3600
        /// After the session's host leaves, recording goes on this long, then stops unless the host is back.
        public var hostLeaveGrace: TimeInterval = 15 * 60
        /// How the stage is arranged on the 1080p canvas.
        public var layout = StageLayout.Mode.auto

        /// The rules a recording in progress follows.
        public var rules: RecordingRules.Limits {
            RecordingRules.Limits(maxDuration: maxDuration, maxSessionDuration: maxSessionDuration, hostGrace: hostLeaveGrace, reserveBytes: reserveBytes)
        }
    }

    /// Where finished recordings are delivered.
    public struct Library: Equatable, Sendable {
        public var target = LibraryTarget.folder
        /// For the `folder` target: files land in `<path>/<room id>/Recordings/`.
        public var path = "/var/lib/roomrec/library"
        /// For the `s3` target.
        public var s3: S3? = nil
        /// For the `kaltura` target.
        public var kaltura: Kaltura? = nil
    }

    /// A Kaltura partner as the media library: entries made with a session from an app token.
    public struct Kaltura: Equatable, Sendable {
        /// e.g. `https://www.kaltura.com`; the API is under `<service_url>/api_v3/`.
        public var serviceURL: String
        public var partnerId: Int
        /// The app token's id; its token is read from `appTokenFile`.
        public var appTokenId: String
        /// A file readable only by the service user, or `$CREDENTIALS_DIRECTORY/<name>` from `LoadCredential=`.
        public var appTokenFile: String
        /// The app token's hash type: `SHA1` (Kaltura's default), `SHA256`, `SHA512` or `MD5`.
        public var appTokenHashType: String
        /// The user the session acts as, when the app token does not fix one.
        public var sessionUserId: String?
        /// The room's Recordings category, which every entry is added to.
        public var categoryId: Int?
        /// Bytes per `uploadToken.upload` call.
        public var chunkSizeBytes: Int
    }

    /// An S3 bucket (AWS or S3-compatible) as the media library.
    public struct S3: Equatable, Sendable {
        /// `https://s3.<region>.amazonaws.com` for AWS, or the store's own URL.
        public var endpoint: String
        public var region: String
        public var bucket: String
        /// Path-style (`host/bucket/key`) or virtual-hosted (`bucket.host/key`) addressing.
        public var pathStyle: Bool
        public var partSizeBytes: Int
        /// `{room}`, `{filename}`, `{id}`, `{date}`.
        public var keyTemplate: String
        /// A file readable only by the service user, or `$CREDENTIALS_DIRECTORY/<name>` from `LoadCredential=`.
        public var credentialsFile: String
        /// S3's additional checksums (SHA-256 per part, checked and kept by the store); off for stores too old to know them.
        public var checksums: Bool
    }

    /// How uploads use the network.
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

    /// What is recorded without anyone asking: the class timetable.
    public struct Schedule: Equatable, Sendable {
        /// No classes; a minute of pre-roll and two of post-roll for those a configuration adds.
        public var timetable = Timetable(preRollMinutes: 1, postRollMinutes: 2)
        /// An iCalendar feed of this room's recordings (a capture agent's calendar), polled every `calendarPoll`.
        public var calendarURL: String?
        public var calendarPoll: TimeInterval = 300
    }

    /// The control socket and who may do what through it.
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

    /// The daemon itself.
    /// `[session]`: the online room session the room computer joins on stage.
    public struct Session: Equatable, Sendable {
        /// Which kind of session server; `none` (the default) joins nothing.
        public var connector = SessionConnectorKind.none
        /// The server's API: Janus's HTTP API, such as `http://127.0.0.1:8088/janus`.
        public var url: URL?
        /// The room to join (Janus: the VideoRoom's numeric id).
        public var room: UInt64 = 0
        /// The room's PIN, if it has one.
        public var pin: String?
        /// The server's API token (Janus `token` authentication), if it asks for one.
        public var token: String?
        /// The name the room computer joins with; the room's title by default.
        public var display: String?
        /// Display names of the participants who are the session's host: recording follows their presence.
        public var hosts: [String] = []
        /// Display names of moderators (on stage in panel rooms, but not the host).
        public var moderators: [String] = []
        /// The local addresses WebRTC may use to receive media (none: every interface).
        public var iceAddresses: [String] = []
        /// Whether the room's camera and microphone are published into the session (on stage); off, the room only
        /// watches and records.
        public var publish = true
        /// The published picture fits in this size (its aspect kept), at 30 frames a second.
        public var publishWidth = 1280
        public var publishHeight = 720
        /// The published video's bitrate, in kbit/s, when the receivers' estimate does not ask for less.
        public var publishVideoKbps = 1500
        /// The published microphone's Opus bitrate, in kbit/s.
        public var publishAudioKbps = 64
        /// Whether the session's start (its host coming on stage, see `hosts`) starts a recording.
        public var autoRecord = false
    }

    public struct Daemon: Equatable, Sendable {
        /// Holds the catalog database (`roomrec.sqlite`).
        public var stateDirectory = "/var/lib/roomrec"
        public var logLevel = LogLevel.info
    }

    public var room = Room()
    public var capture = Capture()
    public var recording = Recording()
    public var library = Library()
    public var uploads = Uploads()
    public var schedule = Schedule()
    public var control = Control()
    public var session = Session()
    public var daemon = Daemon()

    public init() {}

    /// Reads the configuration file at `path`.
    public static func load(path: String) throws(ConfigError) -> RoomRecorderConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, key: nil, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> RoomRecorderConfig {
        let table: TOMLTable
        do {
            table = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, key: nil, message: "TOML syntax error at column \(error.column): \(error.message)")
        }
        let root = ConfigReader(file: file, table: table)
        var config = RoomRecorderConfig()

        let room = try root.section("room")
        config.room.id = try room.nonEmptyString("id", default: config.room.id)
        guard config.room.id.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", options: .regularExpression) != nil else {
            throw room.error("id", "must be 1 to 128 letters, digits, '.', '_' or '-' (it names folders), got \"\(config.room.id)\"")
        }
        config.room.title = try room.nonEmptyString("title", default: config.room.title)
        config.room.type = try room.choice("type", default: config.room.type)
        config.room.owner = try room.string("owner")
        try room.rejectUnknownKeys()

        let capture = try root.section("capture")
        switch try capture.string("camera") {
        case nil, "synthetic"?: config.capture.camera = .synthetic
        case let path? where path.hasPrefix("/dev/"): config.capture.camera = .v4l2(path)
        case let other?:
            throw capture.error("camera", "expected \"synthetic\" or a V4L2 device such as \"/dev/v4l/by-id/usb-…-video-index0\" or \"/dev/video0\", got \"\(other)\"")
        }
        config.capture.controls = try capture.section("controls").integers()
        switch try capture.string("microphone") {
        case nil, "synthetic"?: config.capture.microphone = .synthetic
        case let name? where !name.trimmingCharacters(in: .whitespaces).isEmpty: config.capture.microphone = .alsa(name)
        case _?: throw capture.error("microphone", "expected \"synthetic\" or an ALSA PCM such as \"default\", \"plughw:CARD=Conference,DEV=0\" or \"hw:1,0\"")
        }
        try capture.rejectUnknownKeys()

        let recording = try root.section("recording")
        config.recording.outputDirectory = try recording.absolutePath("output_dir", default: config.recording.outputDirectory)
        config.recording.videoPreset = try recording.choice("video_preset", default: config.recording.videoPreset)
        switch try recording.value("encoder") {
        case nil, .string("auto")?: config.recording.encoders = .hardwareFirst
        case .string("software")?: config.recording.encoders = .softwareOnly
        case .array?:
            let names = try recording.strings("encoder") ?? []
            var kinds: [EncoderSelection.Kind] = []
            for name in names {
                guard let kind = EncoderSelection.Kind(rawValue: name) else {
                    throw recording.error("encoder", "unknown encoder \"\(name)\"; expected some of "
                                          + EncoderSelection.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
                }
                kinds.append(kind)
            }
            guard !kinds.isEmpty else { throw recording.error("encoder", "the list of encoders is empty") }
            config.recording.encoders = .only(kinds)
        case let other?:
            throw recording.error("encoder", "expected \"auto\", \"software\" or a list such as [\"h264_vaapi\", \"libx264\"], found \(other.typeName)")
        }
        config.recording.videoBitrateKbps = try recording.integer("video_bitrate_kbps", default: config.recording.videoBitrateKbps, range: 500...50_000)
        config.recording.audioBitrateKbps = try recording.integer("audio_bitrate_kbps", default: config.recording.audioBitrateKbps, range: 64...320)
        config.recording.maxDuration = try recording.duration("max_duration", default: config.recording.maxDuration, range: TimeSpan(seconds: 10)...TimeSpan.hours(24))
        config.recording.maxSessionDuration = try recording.duration("max_session", default: config.recording.maxSessionDuration, range: TimeSpan.minutes(1)...TimeSpan.hours(72))
        config.recording.hostLeaveGrace = try recording.duration("host_leave_grace", default: config.recording.hostLeaveGrace, range: TimeSpan(seconds: 0)...TimeSpan.hours(24))
        config.recording.layout = try recording.choice("layout", default: config.recording.layout)
        config.recording.minimumFreeBytes = Int64(try recording.integer("min_free_mb", default: 2048, range: 1...10_000_000)) << 20
        config.recording.reserveBytes = Int64(try recording.integer("reserve_mb", default: 512, range: 0...10_000_000)) << 20
        if config.recording.reserveBytes >= config.recording.minimumFreeBytes {
            throw recording.error("reserve_mb", "must be less than min_free_mb (\(config.recording.minimumFreeBytes >> 20)), or a recording would stop as soon as it starts")
        }
        try recording.rejectUnknownKeys()

        let library = try root.section("library")
        config.library.target = try library.choice("target", default: config.library.target)
        config.library.path = try library.absolutePath("path", default: config.library.path)
        let s3 = try library.section("s3")
        let kaltura = try library.section("kaltura")
        if config.library.target == .kaltura, kaltura.table.keys.isEmpty {
            throw library.error("target", "target = \"kaltura\" needs a [library.kaltura] section (partner_id, app_token_id, app_token_file)")
        }
        if config.library.target == .s3, s3.table.keys.isEmpty {
            throw library.error("target", "target = \"s3\" needs a [library.s3] section (bucket, credentials_file)")
        }
        if config.library.target == .s3 || !s3.table.keys.isEmpty {
            config.library.s3 = try parseS3(s3)
        }
        if config.library.target == .kaltura || !kaltura.table.keys.isEmpty {
            config.library.kaltura = try parseKaltura(kaltura)
        }
        try library.rejectUnknownKeys()

        let uploads = try root.section("uploads")
        config.uploads.maxBytesPerSecond = try uploads.integer("max_bytes_per_second", default: 0, range: 0...(1 << 40))
        guard config.uploads.maxBytesPerSecond == 0 || config.uploads.maxBytesPerSecond >= 16 << 10 else {
            throw uploads.error("max_bytes_per_second", "must be 0 (no limit) or at least 16384 bytes per second")
        }
        config.uploads.retentionDays = try uploads.integer("retention_days", default: 30, range: 0...3650)
        config.uploads.minimumFreeBytes = Int64(try uploads.integer("min_free_gb", default: 10, range: 0...100_000)) << 30
        config.uploads.workers = try uploads.integer("workers", default: 1, range: 1...8)
        var windows: [UploadWindows.Window] = []
        for text in try uploads.strings("windows") ?? [] {
            guard let window = UploadWindows.Window(text) else {
                throw uploads.error("windows", "expected times of day as \"HH:MM-HH:MM\" (e.g. \"18:00-07:00\"), got \"\(text)\"")
            }
            windows.append(window)
        }
        config.uploads.windows = UploadWindows(windows)
        config.uploads.whileRecording = try uploads.boolean("while_recording", default: true)
        try uploads.rejectUnknownKeys()

        config.schedule = try parseSchedule(try root.section("schedule"))

        let control = try root.section("control")
        config.control.socketPath = try control.absolutePath("socket", default: config.control.socketPath)
        guard config.control.socketPath.utf8.count < 108 else {
            throw control.error("socket", "a Unix socket path must be shorter than 108 bytes")
        }
        config.control.socketOwner = try control.nonEmptyString("socket_owner", default: config.control.socketOwner)
        config.control.socketGroup = try control.nonEmptyString("socket_group", default: config.control.socketGroup)
        let mode = try control.string("socket_mode", default: "0660")
        guard mode.count == 4, mode.hasPrefix("0"), let parsed = UInt32(mode, radix: 8), parsed & 0o7000 == 0 else {
            throw control.error("socket_mode", "expected an octal file mode such as \"0660\", got \"\(mode)\"")
        }
        config.control.socketMode = parsed
        config.control.adminGroup = try control.nonEmptyString("admin_group", default: config.control.adminGroup)
        config.control.operatorGroup = try control.nonEmptyString("operator_group", default: config.control.operatorGroup)
        if try control.string("metrics_textfile") != nil {
            let path = try control.absolutePath("metrics_textfile", default: "")
            guard path.hasSuffix(".prom") else { throw control.error("metrics_textfile", "node_exporter reads only files ending in .prom, got \"\(path)\"") }
            config.control.metricsTextfile = path
        }
        try control.rejectUnknownKeys()

        config.session = try parseSession(try root.section("session"))

        let daemon = try root.section("daemon")
        config.daemon.stateDirectory = try daemon.absolutePath("state_dir", default: config.daemon.stateDirectory)
        config.daemon.logLevel = try daemon.choice("log_level", default: config.daemon.logLevel)
        try daemon.rejectUnknownKeys()

        try root.rejectUnknownKeys()
        return config
    }
}

extension RoomRecorderConfig {
    fileprivate static func parseSession(_ section: ConfigReader) throws(ConfigError) -> Session {
        var session = Session()
        session.connector = try section.choice("connector", default: session.connector)
        if let text = try section.string("url") {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw section.error("url", "expected the server's HTTP API, such as \"http://127.0.0.1:8088/janus\", got \"\(text)\"")
            }
            session.url = url
        }
        if let room = try section.value("room") {
            guard case .integer(let number) = room, number > 0 else {
                throw section.error("room", "expected the room's number (a positive integer, e.g. 1234), found \(room.typeName)")
            }
            session.room = UInt64(number)
        }
        session.pin = try section.string("pin")
        session.token = try section.string("token")
        if let display = try section.string("display") {
            guard !display.trimmingCharacters(in: .whitespaces).isEmpty else { throw section.error("display", "the name to join with is empty") }
            session.display = display
        }
        session.hosts = try section.strings("hosts") ?? []
        session.moderators = try section.strings("moderators") ?? []
        session.iceAddresses = try section.strings("ice_addresses") ?? []
        for address in session.iceAddresses where !Self.isIPAddress(address) {
            throw section.error("ice_addresses", "expected local IP addresses such as \"192.168.1.20\", got \"\(address)\"")
        }
        session.publish = try section.boolean("publish", default: session.publish)
        session.publishWidth = try section.integer("publish_width", default: session.publishWidth, range: 160...1920)
        session.publishHeight = try section.integer("publish_height", default: session.publishHeight, range: 90...1080)
        guard session.publishWidth % 2 == 0, session.publishHeight % 2 == 0 else {
            throw section.error(session.publishWidth % 2 == 0 ? "publish_height" : "publish_width", "expected an even number of pixels")
        }
        session.publishVideoKbps = try section.integer("publish_video_kbps", default: session.publishVideoKbps, range: 100...8000)
        session.publishAudioKbps = try section.integer("publish_audio_kbps", default: session.publishAudioKbps, range: 16...256)
        session.autoRecord = try section.boolean("auto_record", default: session.autoRecord)
        if session.autoRecord && session.hosts.isEmpty {
            throw section.error("auto_record", "auto_record = true needs the session's host in hosts = [\"…\"]: the session starts when its host comes on stage")
        }
        if session.connector != .none {
            guard session.url != nil else { throw section.error("url", "connector = \"\(session.connector.rawValue)\" needs the server's url") }
            guard session.room != 0 else { throw section.error("room", "connector = \"\(session.connector.rawValue)\" needs the room to join") }
        }
        try section.rejectUnknownKeys()
        return session
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    fileprivate static func parseS3(_ s3: ConfigReader) throws(ConfigError) -> S3 {
        guard let bucket = try s3.string("bucket"), !bucket.isEmpty else {
            throw s3.error("bucket", "the s3 target needs a bucket ([library.s3] bucket = \"…\")")
        }
        let region = try s3.nonEmptyString("region", default: "us-east-1")
        let endpoint = try s3.string("endpoint")
        let url = endpoint ?? "https://s3.\(region).amazonaws.com"
        guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
            throw s3.error("endpoint", "expected an http:// or https:// URL, got \"\(url)\"")
        }
        let addressing = try s3.string("addressing", default: endpoint == nil ? "virtual" : "path")
        guard addressing == "path" || addressing == "virtual" else {
            throw s3.error("addressing", "expected \"path\" or \"virtual\", got \"\(addressing)\"")
        }
        // Parts are streamed from the file; S3 wants at least 5 MiB for all but the last, and 10,000 parts at most.
        let partSize = try s3.integer("part_size_mb", default: 16, range: 5...128)
        let template = try s3.nonEmptyString("key_template", default: "{room}/Recordings/{filename}")
        guard template.contains("{filename}") || template.contains("{id}") else {
            throw s3.error("key_template", "must contain {filename} or {id}, so that recordings do not overwrite each other")
        }
        guard let credentials = try s3.string("credentials_file"), credentials.hasPrefix("/") || credentials.hasPrefix("$CREDENTIALS_DIRECTORY/") else {
            throw s3.error("credentials_file", "the s3 target needs an absolute credentials_file (or $CREDENTIALS_DIRECTORY/<name> with LoadCredential=)")
        }
        let checksums = try s3.boolean("checksums", default: true)
        try s3.rejectUnknownKeys()
        return S3(endpoint: url, region: region, bucket: bucket, pathStyle: addressing == "path", partSizeBytes: partSize << 20,
                  keyTemplate: template, credentialsFile: credentials, checksums: checksums)
    }
}

extension RoomRecorderConfig {
    fileprivate static func parseSchedule(_ schedule: ConfigReader) throws(ConfigError) -> Schedule {
        var timetable = Schedule().timetable
        if let zone = try schedule.string("time_zone") {
            guard let timeZone = TimeZone(identifier: zone) else {
                throw schedule.error("time_zone", "expected an IANA time zone such as \"Europe/Berlin\", got \"\(zone)\"")
            }
            timetable.timeZone = timeZone
        }
        timetable.termStart = try schedule.day("term_start")
        timetable.termEnd = try schedule.day("term_end")
        if let start = timetable.termStart, let end = timetable.termEnd, end < start {
            throw schedule.error("term_end", "the term ends (\(end)) before it starts (\(start))")
        }
        timetable.exceptions = Set(try schedule.days("exceptions"))
        timetable.preRollMinutes = try schedule.integer("pre_roll_minutes", default: timetable.preRollMinutes, range: 0...60)
        timetable.postRollMinutes = try schedule.integer("post_roll_minutes", default: timetable.postRollMinutes, range: 0...120)
        for slot in try schedule.tables("class") {
            guard let title = try slot.string("title"), !title.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw slot.error("title", "a class needs a title (its recordings are named after it)")
            }
            let names = try slot.strings("days") ?? []
            var weekdays: Set<Int> = []
            for name in names {
                guard let day = Timetable.weekdayNames[name.lowercased()] else {
                    throw slot.error("days", "expected days as \"mon\" … \"sun\", got \"\(name)\"")
                }
                weekdays.insert(day)
            }
            guard !weekdays.isEmpty else { throw slot.error("days", "a class needs the days it takes place on, e.g. days = [\"mon\", \"wed\"]") }
            guard let startText = try slot.string("start"), let start = WallClock.minutes(startText) else {
                throw slot.error("start", "expected the start as \"HH:MM\"")
            }
            guard let endText = try slot.string("end"), let end = WallClock.minutes(endText), end > start else {
                throw slot.error("end", "expected the end as \"HH:MM\", after the start")
            }
            try slot.rejectUnknownKeys()
            timetable.slots.append(Timetable.Slot(title: title, weekdays: weekdays, start: start, end: end))
        }
        var result = Schedule(timetable: timetable)
        if let url = try schedule.string("calendar_url") {
            guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
                throw schedule.error("calendar_url", "expected the feed's http:// or https:// URL, got \"\(url)\"")
            }
            result.calendarURL = url
        }
        result.calendarPoll = TimeInterval(try schedule.integer("calendar_poll_seconds", default: 300, range: 1...86400))
        try schedule.rejectUnknownKeys()
        return result
    }

    fileprivate static func parseKaltura(_ kaltura: ConfigReader) throws(ConfigError) -> Kaltura {
        let url = try kaltura.nonEmptyString("service_url", default: "https://www.kaltura.com")
        guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
            throw kaltura.error("service_url", "expected an http:// or https:// URL, got \"\(url)\"")
        }
        guard kaltura.table["partner_id"] != nil else {
            throw kaltura.error("partner_id", "the kaltura target needs the partner id ([library.kaltura] partner_id = 1234567)")
        }
        let partnerId = try kaltura.integer("partner_id", default: 0, range: 1...Int(Int32.max))
        guard let tokenId = try kaltura.string("app_token_id"), !tokenId.isEmpty else {
            throw kaltura.error("app_token_id", "the kaltura target needs an app token (appToken.add), not an admin secret: app_token_id = \"0_…\"")
        }
        guard let tokenFile = try kaltura.string("app_token_file"), tokenFile.hasPrefix("/") || tokenFile.hasPrefix("$CREDENTIALS_DIRECTORY/") else {
            throw kaltura.error("app_token_file", "the kaltura target needs an absolute app_token_file holding the token (or $CREDENTIALS_DIRECTORY/<name> with LoadCredential=)")
        }
        let hashType = try kaltura.string("app_token_hash_type", default: "SHA1").uppercased()
        guard ["SHA1", "SHA256", "SHA512", "MD5"].contains(hashType) else {
            throw kaltura.error("app_token_hash_type", "expected the app token's hashType: SHA1, SHA256, SHA512 or MD5, got \"\(hashType)\"")
        }
        let userId = try kaltura.string("session_user_id")
        let category = try kaltura.table["category_id"] == nil ? nil : kaltura.integer("category_id", default: 0, range: 1...Int(Int32.max))
        // Chunks are streamed from the file; a smaller one loses less to an interrupted request.
        let chunk = try kaltura.integer("chunk_size_mb", default: 10, range: 1...100)
        try kaltura.rejectUnknownKeys()
        return Kaltura(serviceURL: url, partnerId: partnerId, appTokenId: tokenId, appTokenFile: tokenFile, appTokenHashType: hashType,
                       sessionUserId: userId.flatMap { $0.isEmpty ? nil : $0 }, categoryId: category, chunkSizeBytes: chunk << 20)
    }
}

/// A capture source kind. Only the synthetic stage exists until V4L2/ALSA capture lands.
/// Where the room's picture comes from.
public enum CameraSetting: Equatable, Sendable {
    /// The synthetic test stage.
    case synthetic
    /// A V4L2 capture device, best named by its stable `/dev/v4l/by-id/…` link.
    case v4l2(String)
}

/// Where the room's sound comes from.
public enum MicrophoneSetting: Equatable, Sendable {
    /// The synthetic tone with its beep once a second.
    case synthetic
    /// An ALSA capture PCM: `default`, `plughw:CARD=<name>,DEV=0`, `hw:1,0`, or any name from `arecord -L`.
    case alsa(String)
}

/// Media-library targets.
/// The kinds of online session the room computer can join.
public enum SessionConnectorKind: String, Sendable, CaseIterable {
    /// No session: the room records its own camera and microphone.
    case none
    /// A Janus VideoRoom, through Janus's HTTP API.
    case janus
}

public enum LibraryTarget: String, Sendable, CaseIterable {
    /// A local (or mounted) folder.
    case folder
    /// An S3 bucket: AWS S3 or an S3-compatible store ([library.s3]).
    case s3
    /// A Kaltura partner's media library ([library.kaltura]).
    case kaltura
}

/// libx264 speed presets, fastest first.
public enum X264Preset: String, Sendable, CaseIterable {
    /// Measured on the machine: the slowest preset that still encodes at 1.5 times real time.
    case auto
    case ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow
}

/// Log verbosity.
public enum LogLevel: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}
