import ArgumentParser
import ControlClient
import Foundation
import RecorderCore

/// `roomrecctl`: controls `roomrecd` through its control socket.
@main
struct RoomRecCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roomrecctl",
        abstract: "Control the RoomRecorder daemon (roomrecd).",
        version: RoomRecorderVersion.current,
        subcommands: [Status.self, Start.self, Stop.self, Recordings.self, Queue.self],
        defaultSubcommand: Status.self)
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
        let response: ControlClient.Response
        do {
            response = try await client.send(method, path, json: body)
        } catch {
            FileHandle.standardError.write(Data("roomrecctl: \(error)\n".utf8))
            throw ExitCode(69)
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
        print(json ? String(decoding: response.body, as: UTF8.self) : try render(response), terminator: json ? "" : "\n")
    }
}

extension RoomRecCtl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what the daemon is doing.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("GET", "/v1/status") { response in
                let s = try response.decode(StatusReport.self)
                var rows: [[String]] = [
                    ["State", s.state],
                    ["Room", "\(s.room.title) (\(s.room.id), \(s.room.type.rawValue))"],
                ]
                if let current = s.current {
                    rows.append(["Recording", "\(current.name) [\(current.status.rawValue)]"])
                    rows.append(["Elapsed", Format.duration(s.elapsedSeconds ?? 0)])
                }
                rows.append(["Encoder", "\(s.encoder.video) / \(s.encoder.audio)"])
                for device in s.devices {
                    rows.append([device.kind.capitalized, "\(device.name) (\(device.id))\(device.inUse ? " in use" : "")"])
                }
                if let disk = s.disk {
                    rows.append(["Disk", "\(Format.bytes(disk.freeBytes)) free of \(Format.bytes(disk.totalBytes)) (\(disk.path))"])
                }
                let queue = s.queue.counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                rows.append(["Uploads", queue.isEmpty ? "none" : queue])
                rows.append(["Uptime", Format.duration(s.uptimeSeconds)])
                rows.append(["Version", s.version])
                return Format.table(header: nil, rows: rows)
            }
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
        static let configuration = CommandConfiguration(abstract: "List recordings, newest first.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("GET", "/v1/recordings") { response in
                struct List: Decodable { var recordings: [Recording] }
                let list = try response.decode(List.self)
                guard !list.recordings.isEmpty else { return "No recordings." }
                return Format.table(header: ["ID", "STATUS", "STARTED", "DURATION", "SIZE", "NAME"], rows: list.recordings.map { r in
                    [String(r.recordingId.prefix(8)), r.status.rawValue, Format.date(r.startDate), r.duration.map(Format.duration) ?? "-",
                     r.size.map(Format.bytes) ?? "-", r.name]
                })
            }
        }
    }

    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List upload jobs, newest first.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("GET", "/v1/uploads") { response in
                struct List: Decodable { var uploads: [UploadJob] }
                let list = try response.decode(List.self)
                guard !list.uploads.isEmpty else { return "The upload queue is empty." }
                return Format.table(header: ["JOB", "RECORDING", "TARGET", "STATE", "PROGRESS", "TRIES", "WHERE / LAST ERROR"], rows: list.uploads.map { j in
                    let progress = j.totalBytes > 0 ? "\(Int(Double(j.bytesConfirmed) / Double(j.totalBytes) * 100))%" : "-"
                    return [String(j.jobId.prefix(8)), String(j.recordingId.prefix(8)), j.target, j.state.rawValue, progress, "\(j.attempts)",
                            j.state == .done ? (j.remoteId ?? "") : (j.lastError ?? "")]
                })
            }
        }
    }
}
