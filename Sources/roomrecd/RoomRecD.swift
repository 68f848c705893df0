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
        discussion: """
            Runs under systemd (roomrec.service, started through roomrec.socket), as the roomrec user. The \
            configuration is /etc/roomrec/roomrec.toml (see roomrec.toml(5)); roomrecctl(1) controls the running \
            daemon. On SIGTERM the recording in progress is finished as a playable file before the daemon exits; \
            SIGHUP reads the configuration again. Exit status: 0 stopped, 1 failed, 73 a directory cannot be \
            created, 75 stopped for a restart (roomrecctl restart), 78 the configuration is wrong.
            """,
        version: RoomRecorderVersion.current)

    @Option(name: .long, help: "The configuration file.")
    var config = RoomRecorderConfig.defaultPath

    @Flag(name: .long, help: "Check the configuration file (FILE, else --config), print what it sets, and exit.")
    var checkConfig = false

    @Flag(name: .long, help: "Print the local files of recordings the media library confirmed, one a line, from the catalog (the daemon need not run), and exit.")
    var delivered = false

    @Argument(help: "With --check-config: the file to check.")
    var file: String?

    func validate() throws {
        if file != nil, !checkConfig { throw ValidationError("a FILE is only taken with --check-config; the daemon's file is --config FILE") }
    }

    func run() async throws {
        if checkConfig {
            let path = file ?? config
            do {
                let parsed = try RoomRecorderConfig.load(path: path)
                print("\(path): OK (room \(parsed.room.id), \(parsed.room.type.rawValue); library \(parsed.library.target.rawValue) \(parsed.library.path))")
                return
            } catch {
                FileHandle.standardError.write(Data("roomrecd: \(error)\n".utf8))
                throw ExitCode(DaemonMain.ExitCode.badConfig.rawValue)
            }
        }
        if delivered {
            do {
                for path in try await DeliveredFiles.list(config: try RoomRecorderConfig.load(path: config)) { print(path) }
                return
            } catch {
                FileHandle.standardError.write(Data("roomrecd: \(error)\n".utf8))
                throw ExitCode(DaemonMain.ExitCode.failure.rawValue)
            }
        }
        let code = await DaemonMain.run(configPath: config)
        if code != .success { throw ExitCode(code.rawValue) }
    }
}
