import ArgumentParser
import Calendars
import Foundation
import RecorderCore

extension RoomRecCtl {
    /// Reads a calendar file with the daemon's engine, on this computer, without the daemon: what an IT person
    /// runs before putting a feed in `calendar_urls`.
    struct CalendarCheck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "calendar",
            abstract: "Read an iCalendar file as roomrecd does: the occurrences it would record in a window, and the events it skips.",
            discussion: "Times are ISO 8601 (2026-09-01T08:15:00+02:00) or HH:MM today, local time. Exits 1 when the file is not a calendar at all.")
        @Argument(help: "The .ics file.") var file: String
        @Option(name: .long, help: "From (default: now).") var from: String?
        @Option(name: .long, help: "To (default: 7 days after --from).") var to: String?
        @Option(name: .long, help: "The zone of floating times without X-WR-TIMEZONE (default: this computer's).") var zone: String?
        @Flag(name: .long, help: "Print only how many occurrences and how long reading and expanding took (bench/schedule.sh).") var timing = false

        func validate() throws {
            for (flag, value) in [("--from", from), ("--to", to)] {
                if let value, Format.parseTime(value) == nil { throw ValidationError("\(flag) \(value) is neither ISO 8601 nor HH:MM") }
            }
            if let zone, TimeZone(identifier: zone) == nil { throw ValidationError("--zone \(zone) is not an IANA zone such as Europe/Berlin") }
        }

        func run() async throws {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let start = from.flatMap(Format.parseTime) ?? Date()
            let end = to.flatMap(Format.parseTime) ?? start.addingTimeInterval(7 * 86400)
            let clock = ContinuousClock()
            let began = clock.now
            let calendar: ICalendar
            do { calendar = try ICalendar(parsing: text, defaultTimeZone: zone.flatMap(TimeZone.init(identifier:)) ?? .current) } catch {
                print("\(file): \(error)")
                throw ExitCode(1)
            }
            let occurrences = calendar.occurrences(from: start, to: end)
            let took = clock.now - began
            if timing {
                let ms = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
                print("roomrecctl: \(occurrences.filter { !$0.cancelled }.count) occurrences in \(String(format: "%.1f", ms)) ms")
                return
            }
            print("\(calendar.eventCount) events; \(occurrences.count) occurrences from \(Format.date(start)) to \(Format.date(end)):")
            if !occurrences.isEmpty {
                print(Format.table(header: ["START", "END", "TITLE", "UID"], rows: occurrences.map {
                    [Format.date($0.start), Format.date($0.end), $0.summary + ($0.cancelled ? " (cancelled)" : ""), $0.uid]
                }))
            }
            for skipped in calendar.skipped { print("skipped: \(skipped)") }
        }
    }
}
