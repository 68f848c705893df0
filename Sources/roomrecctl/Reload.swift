import ArgumentParser
import ControlClient
import ControlContract
import RecorderCore

extension RoomRecCtl {
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-read the configuration file and apply what can change while running.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("POST", "/v1/config/reload") { response in
                let report = try response.decode(ReloadReport.self)
                return "Applied: \(report.applied.isEmpty ? "nothing changed" : report.applied.joined(separator: ", "))"
                    + (report.restartNeeded.isEmpty ? "" : "\nNeeds `systemctl restart roomrec`: \(report.restartNeeded.joined(separator: ", "))")
            }
        }
    }
}
