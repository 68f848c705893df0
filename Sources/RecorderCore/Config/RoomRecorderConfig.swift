import Foundation
import TOML

/// Everything `roomrecd` reads from `/etc/roomrec/roomrec.toml` (see `config/roomrec.toml` for the commented
/// example), one section a type, each of which reads itself. Every section may be left out, so an empty file runs
/// the embedded defaults: the synthetic stage, SQLite in the state directory and a local media-library folder.
public struct RoomRecorderConfig: Equatable, Sendable {
    /// The default location of the configuration file.
    public static let defaultPath = "/etc/roomrec/roomrec.toml"

    public var room = Room()
    public var capture = Capture()
    public var recording = Recording()
    public var library = Library()
    public var uploads = Uploads()
    public var schedule = Schedule()
    public var control = Control()
    public var session = Session()
    public var daemon = Daemon()
    /// `[opencast]`: the room as an Opencast capture agent, when the section is there.
    public var opencast: Opencast? = nil
    /// `[monitor]`: the alarms' thresholds and the idle camera preview.
    public var monitor = MonitorSettings()
    /// `[panel]`: the room panel's TCP listener and operator token.
    public var panel = Panel()

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
        return try RoomRecorderConfig(reading: ConfigReader(file: file, table: table))
    }

    /// Reads the sections in this order (the first mistake found is the one reported), then refuses a section
    /// it does not know.
    init(reading root: ConfigReader) throws(ConfigError) {
        room = try Room(reading: root.section("room"))
        capture = try Capture(reading: root.section("capture"))
        recording = try Recording(reading: root.section("recording"))
        library = try Library(reading: root.section("library"))
        uploads = try Uploads(reading: root.section("uploads"))
        let scheduleSection = try root.section("schedule")
        schedule = try Schedule(reading: scheduleSection)
        if schedule.kalturaResourceID != nil, library.kaltura == nil {
            throw try scheduleSection.section("kaltura").error("resource_id", "Kaltura's schedule is read with the session of [library.kaltura] "
                                                                + "(partner_id, app_token_id, app_token_file): add that section")
        }
        control = try Control(reading: root.section("control"))
        session = try Session(reading: root.section("session"))
        daemon = try Daemon(reading: root.section("daemon"))
        monitor = try MonitorSettings(reading: root.section("monitor"))
        panel = try Panel(reading: root.section("panel"))
        let opencastSection = try root.section("opencast")
        if !opencastSection.table.keys.isEmpty {
            opencast = try Opencast(reading: opencastSection)
            if opencast?.agentName == nil, !Opencast.isAgentName(room.id) {
                throw opencastSection.error("agent_name", "the room's id \"\(room.id)\" cannot be an Opencast agent's name (a \"/\", or a .json or .xml "
                                            + "ending): set agent_name")
            }
        }
        if library.target == .opencast, opencast == nil {
            throw try root.section("library").error("target", "target = \"opencast\" needs an [opencast] section (url, user, password_file)")
        }
        try root.rejectUnknownKeys()
    }
}
