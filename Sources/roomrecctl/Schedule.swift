import ArgumentParser
import ControlClient
import ControlContract
import Foundation
import RecorderCore

extension RoomRecCtl {
    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What will be recorded, and bookings.", subcommands: [Upcoming.self, List.self, Add.self, Remove.self],
            defaultSubcommand: Upcoming.self)

        struct Upcoming: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Every planned recording from all sources (default: the next 7 days), the next one first, and whether it will record.")
            @OptionGroup var options: CommonOptions
            @Option(name: .long, help: "From (ISO 8601 or HH:MM today; default: now).") var from: String?
            @Option(name: .long, help: "To (ISO 8601 or HH:MM today; default: 7 days after --from).") var to: String?

            func validate() throws {
                for (flag, value) in [("--from", from), ("--to", to)] {
                    if let value, Format.parseTime(value) == nil { throw ValidationError("\(flag) \(value) is neither ISO 8601 nor HH:MM") }
                }
            }

            func run() async throws {
                var query: [String] = []
                if let from = from.flatMap(Format.parseTime) { query.append("from=\(ISO8601.string(from))") }
                if let to = to.flatMap(Format.parseTime) { query.append("to=\(ISO8601.string(to))") }
                let path = "/v1/schedule/upcoming" + (query.isEmpty ? "" : "?" + query.joined(separator: "&").replacingOccurrences(of: "+", with: "%2B"))
                try await options.call("GET", path) { response in
                    let list = try response.decode(UpcomingList.self)
                    guard !list.recordings.isEmpty else { return "Nothing is planned from \(Format.date(list.from)) to \(Format.date(list.to))." }
                    return Format.table(header: ["START", "END", "TITLE", "SOURCE", "RECORDS"], rows: list.recordings.map {
                        [Format.date($0.start), Format.date($0.end), $0.title, $0.source, $0.willRecord ? "yes" : "no: \($0.reason ?? "")"]
                    })
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "Bookings and planned events that have not ended, earliest first.")
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
}
