import Calendars
import Foundation
import XCTest

/// The engine on calendar files made the way users make them (Google, Outlook/Exchange, Apple, Moodle,
/// Opencast, and RFC 5545's harder cases), each expanded over its window and compared with the occurrences an
/// independent implementation (Python's icalendar and recurring-ical-events, `Tests/Peers/calendar_reference.py`)
/// wrote down beside it. See `Tests/Fixtures/calendars/README.md`.
final class CalendarCorpusTests: XCTestCase {
    private struct Expected: Decodable {
        struct Occurrence: Decodable, Equatable, CustomStringConvertible {
            var uid: String
            var start: String
            var end: String
            var summary: String?
            var description: String { "\(start) to \(end) \(uid) \"\(summary ?? "")\"" }
        }
        var from: String
        var to: String
        var occurrences: [Occurrence]
        var skipped: [String]?
    }

    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/calendars").standardized

    func testEveryFeedExpandsAsTheReferenceDoes() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".ics") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 7)
        for name in names {
            let base = Self.folder.appendingPathComponent(String(name.dropLast(4)))
            let window = try String(contentsOf: base.appendingPathExtension("window"), encoding: .utf8).split(whereSeparator: \.isWhitespace).map(String.init)
            let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: base.appendingPathExtension("expected.json")))
            let zone = window.count > 2 ? TimeZone(identifier: window[2])! : TimeZone(identifier: "UTC")!
            let calendar = try ICalendar(parsing: String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8), defaultTimeZone: zone)
            let formatter = ISO8601DateFormatter()
            let found = calendar.occurrences(from: formatter.date(from: expected.from)!, to: formatter.date(from: expected.to)!)
                .filter { !$0.cancelled }
                .map { Expected.Occurrence(uid: $0.uid, start: formatter.string(from: $0.start), end: formatter.string(from: $0.end), summary: $0.summary) }
                .sorted { ($0.start, $0.uid, $0.end) < ($1.start, $1.uid, $1.end) }
            let wanted = expected.occurrences.map { occurrence in
                var occurrence = occurrence
                occurrence.summary = occurrence.summary ?? ""
                return occurrence
            }
            XCTAssertEqual(found.count, wanted.count, "\(name): \(found.count) occurrences, the reference has \(wanted.count)")
            for (index, pair) in zip(found, wanted).enumerated() where pair.0 != pair.1 {
                XCTFail("\(name), occurrence \(index + 1): \(pair.0), the reference has \(pair.1)")
            }
            XCTAssertEqual(calendar.skipped.compactMap(\.uid), expected.skipped ?? [], name)
        }
    }
}
