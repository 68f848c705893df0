import ArgumentParser
import ControlClient
import Foundation
import RecorderCore

/// `roomrecctl`: controls `roomrecd` through its control socket.
///
/// Exit status: 0 done, 1 the daemon refused or failed the request, 2 wrong usage, 3 the daemon is not reachable.
@main
struct RoomRecCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roomrecctl",
        abstract: "Control the RoomRecorder daemon (roomrecd).",
        discussion: "Exit status: 0 done, 1 the daemon refused or failed the request, 2 wrong usage, 3 the daemon is not reachable.",
        version: RoomRecorderVersion.current,
        subcommands: [Status.self, Monitor.self, Start.self, Stop.self, Extend.self, Session.self, Recordings.self, Queue.self, Schedule.self, CalendarCheck.self, Devices.self, Events.self, Reload.self, Restart.self],
        defaultSubcommand: Status.self)

    /// Runs the command, mapping wrong usage to exit status 2 (ArgumentParser's own is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
