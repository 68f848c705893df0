import ArgumentParser
import Daemon
import Foundation
import RecorderCore

/// `roomrecd`: the RoomRecorder daemon.
@main
struct RoomRecD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roomrecd",
        abstract: "Records the room's stage to MP4 and delivers it to the media library.",
        discussion: "Runs under systemd (roomrec.service). See config/roomrec.toml for the configuration.",
        version: RoomRecorderVersion.current)

    @Option(name: .long, help: "The configuration file.")
    var config = RoomRecorderConfig.defaultPath

    @Flag(name: .long, help: "Check the configuration file, print what it sets, and exit.")
    var checkConfig = false

    func run() async throws {
        if checkConfig {
            do {
                let parsed = try RoomRecorderConfig.load(path: config)
                print("\(config): OK (room \(parsed.room.id), \(parsed.room.type.rawValue); library \(parsed.library.target.rawValue) \(parsed.library.path))")
                return
            } catch {
                FileHandle.standardError.write(Data("roomrecd: \(error)\n".utf8))
                throw ExitCode(DaemonMain.ExitCode.badConfig.rawValue)
            }
        }
        let code = await DaemonMain.run(configPath: config)
        if code != .success { throw ExitCode(code.rawValue) }
    }
}
