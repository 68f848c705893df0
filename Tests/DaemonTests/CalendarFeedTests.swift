@testable import Daemon
import Calendars
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// The calendar feed against a real HTTP server on 127.0.0.1: fetched, asked again conditionally, and kept on
/// disk through an outage and a restart.
final class CalendarFeedTests: XCTestCase {
    private var server: Process?

    override func tearDown() {
        if let server, server.isRunning { kill(server.processIdentifier, SIGKILL) }  // SIGTERM is blocked in children of the test
        server = nil
    }

    private func summary(_ calendar: ICalendar?) -> String? {
        calendar?.occurrences(from: Date(timeIntervalSince1970: 1_795_000_000), to: Date(timeIntervalSince1970: 1_800_000_000)).first?.summary
    }

    func testTheLastGoodFeedOutlivesAnOutageABrokenFeedAndARestart() async throws {
        let web = try TemporaryDirectory(prefix: "feed")
        let state = try TemporaryDirectory(prefix: "state")
        try ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:optics@example.edu", "DTSTART:20261124T090000Z",
             "DTEND:20261124T103000Z", "RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Optics", "END:VEVENT", "END:VCALENDAR", ""]
            .joined(separator: "\r\n").write(toFile: "\(web.path)/room.ics", atomically: true, encoding: .utf8)
        let port = LoopbackPort.free()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", web.path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        self.server = server
        try await Task.sleep(for: .milliseconds(500))
        let url = try XCTUnwrap(URL(string: "http://127.0.0.1:\(port)/room.ics"))
        let feed = CalendarFeed(url: url, stateDirectory: state.path, timeZone: TimeZone(identifier: "UTC")!)

        let first = await feed.fetch()
        XCTAssertEqual(first.outcome, .updated(events: 1, skipped: 0))
        XCTAssertEqual(summary(first.calendar), "Optics")
        let second = await feed.fetch()
        XCTAssertEqual(second.outcome, .unchanged, "asked with If-Modified-Since, the server answers 304")

        // A download cut short is not a schedule with fewer classes: the last good feed stays.
        try await Task.sleep(for: .seconds(1.1))  // a new Last-Modified second
        try "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:optics@example.edu\r\n".write(toFile: "\(web.path)/room.ics", atomically: true, encoding: .utf8)
        let broken = await feed.fetch()
        guard case .failed(let why) = broken.outcome else { return XCTFail("\(broken.outcome)") }
        XCTAssertTrue(why.contains("not a calendar") && why.contains("cut short"), why)
        XCTAssertEqual(summary(feed.cached()), "Optics")

        // The network goes; then the daemon restarts: the copy on disk is the schedule.
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        let outage = await feed.fetch()
        guard case .failed = outage.outcome else { return XCTFail("\(outage.outcome)") }
        let restarted = CalendarFeed(url: url, stateDirectory: state.path, timeZone: TimeZone(identifier: "UTC")!)
        XCTAssertEqual(summary(restarted.cached()), "Optics", "the last good feed, read back after a restart")
        // A different feed URL does not inherit this one's copy.
        let other = CalendarFeed(url: URL(string: "http://127.0.0.1:\(port)/other.ics")!, stateDirectory: state.path, timeZone: .current)
        XCTAssertNil(other.cached())
    }
}
