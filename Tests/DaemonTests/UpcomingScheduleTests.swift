import Calendars
import Catalog
import ControlContract
@testable import Daemon
import Foundation
import Logging
import RecorderCore
import TestSupport
import Uploads
import XCTest

/// "What will be recorded": the schedule's answer from every source, with the reason an event will not record.
final class UpcomingScheduleTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var config = RoomRecorderConfig()

    override func setUp() async throws {
        directory = try TemporaryDirectory()
        config.daemon.stateDirectory = directory.path
        config.recording.outputDirectory = "\(directory.path)/recordings"
        config.library.path = "\(directory.path)/library"
        try FileManager.default.createDirectory(atPath: config.recording.outputDirectory, withIntermediateDirectories: true)
    }

    override func tearDown() { directory = nil }

    private func daemon() async throws -> RecorderDaemon {
        let catalog = try CatalogDatabase.inMemory()
        let queue = UploadQueue(catalog: catalog, targets: [LocalFolderTarget(root: config.library.path)], logger: Logger(label: "test"))
        return await RecorderDaemon(config: config, catalog: catalog, uploads: queue, logger: Logger(label: "test"))
    }

    private let t0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.up) * 3600 + 86400)

    private func calendar(_ events: [(uid: String, start: Double, minutes: Double, summary: String, status: String?)]) throws -> ICalendar {
        let stamp = { (date: Date) in ISO8601.string(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "") }
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0"]
        for event in events {
            let start = t0.addingTimeInterval(event.start * 60)
            lines += ["BEGIN:VEVENT", "UID:\(event.uid)", "DTSTART:\(stamp(start))", "DTEND:\(stamp(start.addingTimeInterval(event.minutes * 60)))",
                      "SUMMARY:\(event.summary)"] + (event.status.map { ["STATUS:\($0)"] } ?? []) + ["END:VEVENT"]
        }
        return try ICalendar(parsing: (lines + ["END:VCALENDAR"]).joined(separator: "\r\n"))
    }

    func testEverySourceIsListedWithWhyAnEventWillNotRecord() async throws {
        let daemon = try await daemon()
        let feed = try calendar([("physics", 0, 90, "Physics", nil), ("questions", 60, 60, "Questions", nil), ("holiday", 180, 60, "Cancelled talk", "CANCELLED"),
                                 ("stopped", 300, 60, "Stopped one", nil)])
        await daemon.schedule.use(CalendarFeedSource(feed: "cal.example.edu", calendar: feed))
        await daemon.schedule.use(KalturaScheduleSource(events: [
            PlannedEvent(id: "kaltura-7", title: "Chemistry", start: t0.addingTimeInterval(400 * 60), end: t0.addingTimeInterval(460 * 60),
                         origin: .kaltura(eventID: "7", templateEntryID: "0_t"), owner: "prof.smith"),
        ]))
        _ = try await daemon.addBooking(BookingRequest(title: "Office hour", start: t0.addingTimeInterval(-30 * 60), durationMinutes: 40),
                                        caller: Caller(uid: 0, gid: 0, pid: 1))
        let stoppedID = "ical-stopped-\(Int(t0.timeIntervalSince1970) + 300 * 60)"
        await daemon.schedule.dismiss([stoppedID])

        let window = UpcomingWindow(from: t0.addingTimeInterval(-3600), to: t0.addingTimeInterval(86400))
        let upcoming = try await daemon.upcoming(window)
        XCTAssertEqual(upcoming.map(\.title), ["Office hour", "Physics", "Questions", "Cancelled talk", "Stopped one", "Chemistry"])
        XCTAssertEqual(upcoming.map(\.source), ["booking:\(try XCTUnwrap(upcoming.first?.source.dropFirst(8)))", "calendar:cal.example.edu",
                                                "calendar:cal.example.edu", "calendar:cal.example.edu", "calendar:cal.example.edu", "kaltura:7"])
        XCTAssertEqual(upcoming.map(\.willRecord), [false, true, false, false, false, true])
        XCTAssertTrue(upcoming[0].reason?.hasPrefix("recorded as part of \"Physics\"") ?? false, "scheduled beats ad hoc: \(upcoming[0])")
        XCTAssertTrue(upcoming[2].reason?.hasPrefix("recorded as part of \"Physics\"") ?? false, "\(upcoming[2])")
        XCTAssertEqual(upcoming[3].reason, "cancelled in calendar:cal.example.edu")
        XCTAssertEqual(upcoming[4].reason, "stopped by a person; not started again")

        let next = await daemon.status().next
        XCTAssertEqual(next?.title, "Physics", "the block the booking begins is named after the class")
        XCTAssertEqual(next?.start, t0.addingTimeInterval(-30 * 60))
        XCTAssertEqual(next?.end, t0.addingTimeInterval(120 * 60), "to the end of the questions that overlap it")
        XCTAssertEqual(next?.source, "calendar:cal.example.edu")
    }

    func testTooLittleSpaceIsAReasonAfterDeliveredCopiesAreCounted() async throws {
        config.recording.minimumFreeBytes = 1 << 60
        let daemon = try await daemon()
        await daemon.schedule.use(CalendarFeedSource(feed: "cal", calendar: try calendar([("c", 0, 60, "Class", nil)])))
        let upcoming = try await daemon.upcoming(UpcomingWindow(from: t0, to: t0.addingTimeInterval(3600)))
        XCTAssertEqual(upcoming.map(\.willRecord), [false])
        XCTAssertTrue(upcoming.first?.reason?.contains("min_free_mb") ?? false, "\(upcoming)")
    }

    func testAWindowIsParsedStrictly() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertEqual(try UpcomingWindow.parse([:], now: now), UpcomingWindow(from: now, to: now.addingTimeInterval(7 * 86400)))
        for bad in [["from": "tomorrow"], ["to": "next week"], ["when": "x"]] {
            XCTAssertThrowsError(try UpcomingWindow.parse(bad, now: now), "\(bad)")
        }
        let past = try UpcomingWindow.parse(["to": "2020-01-01T00:00:00Z"], now: now)
        XCTAssertEqual(past.to, past.from, "a window that ends before it starts is empty")
        let long = try UpcomingWindow.parse(["from": "2027-01-01T00:00:00Z", "to": "2027-12-01T00:00:00Z"], now: now)
        XCTAssertEqual(long.to.timeIntervalSince(long.from), 92 * 86400, "cut to 92 days")
    }
}
