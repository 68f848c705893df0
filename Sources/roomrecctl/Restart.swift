import ArgumentParser
import ControlClient
import ControlContract
import RecorderCore

extension RoomRecCtl {
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restart roomrecd once no recording runs (a recording in progress is never cut).",
            discussion: "The package's upgrade runs it, so the new version starts after the class being recorded ends. Needs systemd (roomrec.service).")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("POST", "/v1/restart") { response in
                let plan = try response.decode(RestartPlan.self)
                if let recording = plan.recordingId { return "roomrecd restarts when recording \(recording) ends" }
                if plan.restart == "after_scheduled_recording" { return "roomrecd restarts after the recording scheduled to start within two minutes" }
                return "roomrecd restarts now"
            }
        }
    }
}
