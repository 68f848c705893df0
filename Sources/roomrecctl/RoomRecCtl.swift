import ArgumentParser
import ControlClient
import ControlContract
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
        subcommands: [Status.self, Start.self, Stop.self, Recordings.self, Queue.self, Schedule.self, Devices.self, Events.self, Reload.self],
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

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The control socket (default: $ROOMREC_SOCKET or /run/roomrec/control.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON instead of a table.")
    var json = false

    var client: ControlClient {
        ControlClient(socketPath: socket ?? ProcessInfo.processInfo.environment["ROOMREC_SOCKET"] ?? "/run/roomrec/control.sock")
    }

    /// Sends a request; prints the JSON as is with `--json`, else hands the response to `render`.
    /// An error response prints its problem and exits non-zero.
    func call(_ method: String, _ path: String, body: Data? = nil, render: (ControlClient.Response) throws -> String) async throws {
        let response = try await send(method, path, body: body)
        print(json ? String(decoding: response.body, as: UTF8.self) : try render(response), terminator: json ? "" : "\n")
    }

    /// Redraws the view of a GET every second until interrupted (`--watch`).
    func watch(_ path: String, render: (ControlClient.Response) throws -> String) async throws {
        while true {
            let response = try await send("GET", path)
            let view = json ? String(decoding: response.body, as: UTF8.self) : try render(response)
            // Home the cursor and clear the screen, then draw.
            FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + view + "\n\n" + Format.date(Date()) + "  (Ctrl-C to stop)\n").utf8))
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Sends a request and returns a successful response; reports a failure and exits 1 (refused) or 3 (unreachable).
    func send(_ method: String, _ path: String, body: Data? = nil) async throws -> ControlClient.Response {
        let response: ControlClient.Response
        do {
            response = try await client.send(method, path, json: body)
        } catch {
            FileHandle.standardError.write(Data("roomrecctl: \(error)\n".utf8))
            throw ExitCode(3)
        }
        guard (200..<300).contains(response.status) else {
            if json {
                print(String(decoding: response.body, as: UTF8.self), terminator: "")
            } else {
                let detail = response.problem.map { "\($0.title): \($0.detail)" } ?? String(decoding: response.body, as: UTF8.self)
                FileHandle.standardError.write(Data("roomrecctl: \(detail) (HTTP \(response.status))\n".utf8))
            }
            throw ExitCode(1)
        }
        return response
    }
}

extension RoomRecCtl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the daemon is doing.")
        @OptionGroup var options: CommonOptions

        @Flag(name: .long, help: "Redraw every second, with the recording's timer and the uploads' progress.") var watch = false

        func run() async throws {
            if watch { try await options.watch("/v1/status", render: Self.render) } else { try await options.call("GET", "/v1/status", render: Self.render) }
        }

        static func render(_ response: ControlClient.Response) throws -> String {
            let s = try response.decode(StatusReport.self)
            var rows: [[String]] = [
                ["State", s.state],
                ["Room", "\(s.room.title) (\(s.room.id), \(s.room.type.rawValue))"],
            ]
            if let current = s.current {
                rows.append(["Recording", "● REC \(Format.duration(s.elapsedSeconds ?? 0))  \(current.name) [\(current.status.rawValue)]"])
            }
            rows.append(["Encoder", "\(s.encoder.video) / \(s.encoder.audio)" + (s.encoder.reason.map { " (\($0))" } ?? "")])
            if let p = s.pipeline {
                let dropped = p.framesDropped.isEmpty ? "none dropped"
                    : p.framesDropped.sorted { $0.key < $1.key }.map { "\($0.value) dropped (\($0.key))" }.joined(separator: ", ")
                rows.append(["Pipeline", "\(p.layout) layout, \(String(format: "%.2f", p.realTimeFactor))× real time, \(p.framesEncoded) frames, \(dropped), "
                             + "A/V offset \(String(format: "%.1f", p.avOffsetMs)) ms"])
            }
            if let session = s.session {
                var line = "\(session.state.rawValue), \(session.connector) room \(session.room), \(session.participants.count) on stage"
                if session.reconnects > 0 { line += ", \(session.reconnects) reconnects" }
                if let error = session.lastError { line += "; \(error)" }
                rows.append(["Session", line])
                if let out = session.publishing {
                    let estimate = out.estimateKbps.map { ", session estimate \($0) kbps" } ?? ""
                    rows.append(["", "publishing \(out.resolution ?? "(no picture yet)"): video \(Int(out.videoKbps)) kbps (target \(out.videoTargetKbps)\(estimate)), "
                                 + "audio \(Int(out.audioKbps)) kbps, \(out.keyframeRequests) keyframes asked"])
                }
                for participant in session.participants {
                    let tracks = participant.tracks.map { track in
                        let received = session.receiving.first { $0.participantId == participant.id && $0.kind == track.kind }
                        return "\(track.isScreen ? "screen" : track.kind.rawValue) \(track.codec)" + (received.map { " \(Int($0.kbps)) kbps" + ($0.lossPercent.map { String(format: ", %.1f%% lost", $0) } ?? "") } ?? "")
                    }.joined(separator: ", ")
                    rows.append(["", "\(participant.display)" + (participant.role == .participant ? "" : " (\(participant.role.rawValue))")
                                 + (tracks.isEmpty ? "" : ": \(tracks)") + (participant.talking ? ", speaking" : "")])
                }
                if !session.hostPresent, let left = session.hostLeftAt {
                    rows.append(["", "the host left at \(Format.date(left))"])
                }
            }
            for device in s.devices {
                rows.append([device.kind.rawValue.capitalized, "\(device.name) (\(device.id))\(device.inUse ? " in use" : "")"])
            }
            if let disk = s.disk {
                rows.append(["Disk", "\(Format.bytes(disk.freeBytes)) free of \(Format.bytes(disk.totalBytes)) (\(disk.path))"])
            }
            let queue = s.queue.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            rows.append(["Uploads", (queue.isEmpty ? "none" : queue) + (s.queue.heldReason.map { "; waiting: \($0)" } ?? "")])
            rows.append(["Uptime", Format.duration(s.uptimeSeconds)])
            rows.append(["Version", s.version])
            return Format.table(header: nil, rows: rows)
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start recording now.")
        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "The meeting title (default: the room's title).")
        var title: String?

        func run() async throws {
            let body = try title.map { try JSONEncoder().encode(StartRecordingRequest(title: $0)) }
            try await options.call("POST", "/v1/recordings", body: body) { response in
                let r = try response.decode(Recording.self)
                return "Recording \(r.recordingId) started: \(r.name)"
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the recording in progress; it is finalized and queued for upload.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("POST", "/v1/recordings/current/stop") { response in
                let r = try response.decode(Recording.self)
                return "Recording \(r.recordingId) is \(r.status.rawValue): \(r.name)"
            }
        }
    }

    struct Recordings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, show, delete and download recordings.",
            subcommands: [List.self, Show.self, Remove.self, Download.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List recordings, newest first.")
            @OptionGroup var options: CommonOptions
            @Option(name: .long, help: "At most this many (1-100).") var max = 20
            @Option(name: .long, help: "Only these states, comma-separated (e.g. complete,recovered).") var status: String?

            func run() async throws {
                var path = "/v1/recordings?maxItems=\(max)"
                if let status { path += "&status=\(status)" }
                try await options.call("GET", path) { response in
                    let page = try response.decode(RecordingPage.self)
                    guard !page.recordings.isEmpty else { return "No recordings." }
                    var table = Format.table(header: ["ID", "STATUS", "UPLOAD", "STARTED", "DURATION", "SIZE", "NAME"], rows: page.recordings.map { r in
                        [String(r.recordingId.prefix(8)), r.status.rawValue, r.uploadStatus?.rawValue ?? "-", Format.date(r.startDate), r.duration.map(Format.duration) ?? "-",
                         r.size.map(Format.bytes) ?? "-", r.name]
                    })
                    if page.pagination.isTruncated { table += "\n(more: --max \(RecordingQuery.maxMaxItems))" }
                    return table
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show one recording.")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The recording's id.") var id: String

            func run() async throws {
                try await options.call("GET", "/v1/recordings/\(id)") { response in
                    let r = try response.decode(Recording.self)
                    var rows = [["ID", r.recordingId], ["Name", r.name], ["Status", r.status.rawValue], ["Room", r.roomId],
                                ["Owner", r.owner ?? "-"], ["Started by", r.initiator ?? "-"], ["Started", Format.date(r.startDate)]]
                    if let end = r.endDate { rows.append(["Ended", Format.date(end)]) }
                    if let duration = r.duration { rows.append(["Duration", Format.duration(duration)]) }
                    if let size = r.size { rows.append(["Size", Format.bytes(size)]) }
                    rows.append(["File", r.path])
                    if let digest = r.sha256 { rows.append(["SHA-256", digest]) }
                    if let upload = r.uploadStatus { rows.append(["Upload", upload.rawValue]) }
                    if let reason = r.reason { rows.append(["Reason", reason]) }
                    return Format.table(header: nil, rows: rows)
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete recordings (their files on this computer and their catalog entries).")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The recordings' ids.") var ids: [String]

            func validate() throws {
                guard !ids.isEmpty else { throw ValidationError("name at least one recording id") }
            }

            func run() async throws {
                if ids.count == 1 {
                    _ = try await options.send("DELETE", "/v1/recordings/\(ids[0])")
                    if !options.json { print("Deleted \(ids[0])") }
                    return
                }
                try await options.call("DELETE", "/v1/recordings?recordingIds=\(ids.joined(separator: ","))") { response in
                    let result = try response.decode(BulkDeleteResult.self)
                    return (result.deleted.map { "Deleted \($0)" } + result.failed.map { "Not deleted \($0.recordingId): \($0.error)" })
                        .joined(separator: "\n")
                }
            }
        }

        struct Download: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Copy finished recordings from the daemon: one as its MP4, several as one ZIP archive.")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The recordings' ids.") var ids: [String]
            @Option(name: .shortAndLong, help: "Where to write it (default: the file name, or recordings.zip, in this folder).") var output: String?

            func validate() throws {
                guard !ids.isEmpty else { throw ValidationError("name at least one recording id") }
            }

            func run() async throws {
                let destination: String
                let body: Data
                if ids.count == 1 {
                    let recording = try await options.send("GET", "/v1/recordings/\(ids[0])")
                    destination = try output ?? recording.decode(Recording.self).filename
                    body = try await options.send("GET", "/v1/recordings/\(ids[0])/media").body
                } else {
                    destination = output ?? "recordings.zip"
                    body = try await options.send("GET", "/v1/recordings/download?recordingIds=\(ids.joined(separator: ","))").body
                }
                try body.write(to: URL(fileURLWithPath: destination), options: .atomic)
                print("Wrote \(destination) (\(Format.bytes(Int64(body.count))))")
            }
        }
    }

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
                    [String(j.jobId.prefix(8)), String(j.recordingId.prefix(8)), j.target, j.state.rawValue,
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

    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Book time frames for recording.", subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "Bookings that have not ended, earliest first.")
            @OptionGroup var options: CommonOptions

            func run() async throws {
                try await options.call("GET", "/v1/schedule") { response in
                    struct Bookings: Decodable { var bookings: [Booking] }
                    let list = try response.decode(Bookings.self)
                    guard !list.bookings.isEmpty else { return "Nothing is booked." }
                    return Format.table(header: ["ID", "START", "END", "TITLE", "BOOKED BY"], rows: list.bookings.map {
                        [String($0.bookingId.prefix(8)), Format.date($0.start), Format.date($0.end), $0.title, $0.createdBy ?? "-"]
                    })
                }
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Book a recording (default: one hour from the next quarter hour).",
                discussion: "Times are ISO 8601 (2026-09-01T08:15:00+02:00) or HH:MM today, local time.")
            @OptionGroup var options: CommonOptions
            @Option(name: .long, help: "The meeting title (default: the room's title).") var title: String?
            @Option(name: .long, help: "When it starts.") var start: String?
            @Option(name: .long, help: "When it ends.") var end: String?
            @Option(name: .long, help: "How long, in minutes (instead of --end).") var duration: Int?

            func validate() throws {
                if end != nil, duration != nil { throw ValidationError("give --end or --duration, not both") }
                for (flag, value) in [("--start", start), ("--end", end)] {
                    if let value, Format.parseTime(value) == nil { throw ValidationError("\(flag) \(value) is neither ISO 8601 nor HH:MM") }
                }
            }

            func run() async throws {
                let request = BookingRequest(title: title, start: start.flatMap(Format.parseTime), end: end.flatMap(Format.parseTime),
                                             durationMinutes: duration)
                try await options.call("POST", "/v1/schedule", body: try ControlJSON.encoder().encode(request)) { response in
                    let b = try response.decode(Booking.self)
                    return "Booked \(b.bookingId): \(b.title), \(Format.date(b.start)) to \(Format.date(b.end))"
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a booking.")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The booking's id.") var id: String

            func run() async throws {
                _ = try await options.send("DELETE", "/v1/schedule/\(id)")
                if !options.json { print("Removed \(id)") }
            }
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cameras and microphones.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("GET", "/v1/devices") { response in
                struct List: Decodable { var devices: [DeviceInfo] }
                return Format.table(header: ["KIND", "ID", "NAME", "IN USE", "MODE FOR 1080P30"], rows: try response.decode(List.self).devices.map {
                    [$0.kind.rawValue, $0.id, $0.name, $0.inUse ? "yes" : "", $0.mode ?? ""]
                })
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow events: recording states, upload progress, warnings.")
        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "Stop after this many events.") var count: Int?

        func run() async throws {
            var seen = 0
            let limit = count
            let json = options.json
            let status: Int
            do {
                status = try await options.client.follow("/v1/events") { event in
                    // Written unbuffered, so a pipe sees each event as it happens.
                    if json {
                        FileHandle.standardOutput.write(Data((event.data + "\n").utf8))
                    } else if let parsed = try? ControlJSON.decoder().decode(ControlEvent.self, from: Data(event.data.utf8)) {
                        FileHandle.standardOutput.write(Data((Format.event(parsed) + "\n").utf8))
                    }
                    seen += 1
                    return limit.map { seen < $0 } ?? true
                }
            } catch {
                FileHandle.standardError.write(Data("roomrecctl: \(error)\n".utf8))
                throw ExitCode(3)
            }
            guard status == 200 else {
                FileHandle.standardError.write(Data("roomrecctl: the daemon refused to stream events (HTTP \(status))\n".utf8))
                throw ExitCode(1)
            }
        }
    }

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
