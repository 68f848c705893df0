import ArgumentParser
import ControlClient
import ControlContract
import Foundation
import RecorderCore

extension RoomRecCtl {
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

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let the scheduled recording in progress run 5, 10 or 15 minutes longer.",
            discussion: "For a class that runs over: roomrecctl extend 10m")
        @OptionGroup var options: CommonOptions
        @Argument(help: "How much longer: 5m, 10m or 15m.") var time: String

        /// `10m`, `10min` or `10` as minutes.
        var minutes: Int? {
            let digits = time.lowercased().replacingOccurrences(of: "min", with: "").replacingOccurrences(of: "m", with: "")
            return Int(digits.trimmingCharacters(in: .whitespaces)).flatMap { ExtendRequest.allowed.contains($0) ? $0 : nil }
        }

        func validate() throws {
            if minutes == nil { throw ValidationError("\(time): give 5m, 10m or 15m") }
        }

        func run() async throws {
            let body = try ControlJSON.encoder().encode(ExtendRequest(minutes: minutes ?? 0))
            try await options.call("POST", "/v1/recordings/current/extend", body: body) { response in
                let extended = try response.decode(RecordingExtension.self)
                return "\(extended.title) now records until \(Format.date(extended.end))"
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
                    if let session = r.sessionId { rows.append(["Session", "\(session) (its recordings in the session's other rooms share it)"]) }
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
}
