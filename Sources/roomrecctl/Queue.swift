import ArgumentParser
import ControlClient
import RecorderCore

extension RoomRecCtl {
    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The upload queue: list jobs, retry, pause, resume or cancel one.",
            subcommands: [List.self, Retry.self, Pause.self, Resume.self, Cancel.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List upload jobs, newest first.")
            @OptionGroup var options: CommonOptions
            @Flag(name: .long, help: "Redraw every second with each job's progress.") var watch = false

            func run() async throws {
                if watch { try await options.watch("/v1/uploads", render: Self.render) } else { try await options.call("GET", "/v1/uploads", render: Self.render) }
            }

            static func render(_ response: ControlClient.Response) throws -> String {
                struct Jobs: Decodable { var uploads: [UploadJob] }
                let list = try response.decode(Jobs.self)
                guard !list.uploads.isEmpty else { return "The upload queue is empty." }
                return Format.table(header: ["JOB", "RECORDING", "TARGET", "STATE", "PROGRESS", "TRIES", "WHERE / LAST ERROR"], rows: list.uploads.map { j in
                    [String(j.jobId.prefix(8)), String(j.recordingId.prefix(8)), j.target.rawValue, j.state.rawValue,
                     Format.progress(j.bytesConfirmed, of: j.totalBytes), "\(j.attempts)",
                     j.state == .done ? (j.remoteId ?? "") : (j.lastError ?? "")]
                })
            }
        }

        struct Retry: QueueAction { static let action = UploadAction.retry; @OptionGroup var options: CommonOptions; @Argument(help: "The job's id.") var job: String }
        struct Pause: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Hold a job at its last checkpoint, or the whole queue without a job.")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The job's id (none: the whole queue).") var job: String?
            func run() async throws { try await options.queueState(job, action: .pause) }
        }
        struct Resume: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Queue a paused job again, or run the whole queue without a job.")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The job's id (none: the whole queue).") var job: String?
            func run() async throws { try await options.queueState(job, action: .resume) }
        }
        struct Cancel: QueueAction { static let action = UploadAction.cancel; @OptionGroup var options: CommonOptions; @Argument(help: "The job's id.") var job: String }
    }
}

/// `roomrecctl queue retry|pause|resume|cancel JOB`: one upload action on one job.
protocol QueueAction: AsyncParsableCommand {
    static var action: UploadAction { get }
    var options: CommonOptions { get }
    var job: String { get }
}

extension QueueAction {
    static var configuration: CommandConfiguration {
        let help: [UploadAction: String] = [
            .retry: "Queue a failed or cancelled job again.", .pause: "Hold a queued or running job at its last checkpoint.",
            .resume: "Queue a paused job again; it goes on from its checkpoint.", .cancel: "Give a job up.",
        ]
        return CommandConfiguration(commandName: action.rawValue, abstract: help[action] ?? "")
    }

    func run() async throws {
        try await options.call("POST", "/v1/uploads/\(job)/\(Self.action.rawValue)") { response in
            let j = try response.decode(UploadJob.self)
            return "Job \(j.jobId) is \(j.state.rawValue)"
        }
    }
}

extension CommonOptions {
    /// `queue pause|resume [JOB]`: one job, or the whole queue.
    func queueState(_ job: String?, action: UploadAction) async throws {
        guard let job else {
            try await call("POST", "/v1/uploads/\(action.rawValue)") { response in
                struct State: Decodable { var paused: Bool }
                return try response.decode(State.self).paused ? "The upload queue is paused." : "The upload queue is running."
            }
            return
        }
        try await call("POST", "/v1/uploads/\(job)/\(action.rawValue)") { response in
            let j = try response.decode(UploadJob.self)
            return "Job \(j.jobId) is \(j.state.rawValue)"
        }
    }
}
