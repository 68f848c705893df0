import Foundation
import RecorderCore
import XCTest

final class ICalendarTests: XCTestCase {
    private let berlin = TimeZone(identifier: "Europe/Berlin")!

    private func date(_ text: String) -> Date { ISO8601.date(text)! }

    /// A capture agent's feed as Opencast-like systems publish it: CRLF lines, a folded SUMMARY, a weekly class
    /// in a TZID, an exception date, one occurrence moved and one cancelled, a cancelled event, an all-day note.
    private let feed = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example//Lecture capture//EN",
        "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "END:VTIMEZONE",
        "BEGIN:VEVENT", "UID:physics-101@example.edu", "DTSTAMP:20261101T120000Z",
        "DTSTART;TZID=Europe/Berlin:20261102T090000", "DTEND;TZID=Europe/Berlin:20261102T103000",
        "SUMMARY:Physics 101\\, Optics and", "  waves",
        "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;UNTIL=20261218T235959Z",
        "EXDATE;TZID=Europe/Berlin:20261125T090000",
        "BEGIN:VALARM", "TRIGGER:-PT15M", "ACTION:DISPLAY", "END:VALARM",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:physics-101@example.edu", "RECURRENCE-ID;TZID=Europe/Berlin:20261130T090000",
        "DTSTART;TZID=Europe/Berlin:20261130T110000", "DTEND;TZID=Europe/Berlin:20261130T123000", "SUMMARY:Physics 101 (moved)",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:physics-101@example.edu", "RECURRENCE-ID;TZID=Europe/Berlin:20261202T090000",
        "DTSTART;TZID=Europe/Berlin:20261202T090000", "DTEND;TZID=Europe/Berlin:20261202T103000", "STATUS:CANCELLED",
        "SUMMARY:Physics 101", "END:VEVENT",
        "BEGIN:VEVENT", "UID:seminar@example.edu", "DTSTART:20261124T130000Z", "DURATION:PT45M", "SUMMARY:Seminar", "END:VEVENT",
        "BEGIN:VEVENT", "UID:cancelled@example.edu", "DTSTART:20261126T130000Z", "DTEND:20261126T140000Z", "STATUS:CANCELLED",
        "SUMMARY:Called off", "END:VEVENT",
        "BEGIN:VEVENT", "UID:holiday@example.edu", "DTSTART;VALUE=DATE:20261127", "SUMMARY:Holiday", "END:VEVENT",
        "END:VCALENDAR", "",
    ].joined(separator: "\r\n")

    func testAWeekOfAFeed() throws {
        let calendar = try ICalendar.parse(feed, defaultTimeZone: berlin)
        let week = calendar.bookings(from: date("2026-11-23T00:00:00+01:00"), to: date("2026-11-30T00:00:00+01:00"))
        XCTAssertEqual(week.map(\.title), ["Physics 101, Optics and waves", "Seminar"], "Wednesday is an EXDATE; the cancelled event and the all-day note are not recorded")
        XCTAssertEqual(week[0].start, date("2026-11-23T09:00:00+01:00"))
        XCTAssertEqual(week[0].end, date("2026-11-23T10:30:00+01:00"))
        XCTAssertEqual(week[1].start, date("2026-11-24T13:00:00Z"))
        XCTAssertEqual(week[1].end, date("2026-11-24T13:45:00Z"), "DURATION")
        XCTAssertEqual(week[0].createdBy, "calendar")
    }

    func testAMovedAndACancelledOccurrence() throws {
        let calendar = try ICalendar.parse(feed, defaultTimeZone: berlin)
        let week = calendar.bookings(from: date("2026-11-30T00:00:00+01:00"), to: date("2026-12-07T00:00:00+01:00"))
        XCTAssertEqual(week.map(\.title), ["Physics 101 (moved)"], "Monday moved to 11:00; Wednesday cancelled")
        XCTAssertEqual(week.first?.start, date("2026-11-30T11:00:00+01:00"))
    }

    func testTheRuleEndsAtUntil() throws {
        let calendar = try ICalendar.parse(feed, defaultTimeZone: berlin)
        XCTAssertEqual(calendar.bookings(from: date("2026-12-14T00:00:00+01:00"), to: date("2027-01-31T00:00:00+01:00")).count, 2, "14 and 16 December")
    }

    func testRecurrencesKeepTheirWallClockTimeAcrossADaylightSavingChange() throws {
        let text = """
            BEGIN:VCALENDAR
            BEGIN:VEVENT
            UID:daily
            DTSTART;TZID=Europe/Berlin:20260327T090000
            DTEND;TZID=Europe/Berlin:20260327T100000
            RRULE:FREQ=DAILY;COUNT=4
            SUMMARY:Daily
            END:VEVENT
            END:VCALENDAR
            """
        let starts = try ICalendar.parse(text).bookings(from: date("2026-03-01T00:00:00Z"), to: date("2026-04-30T00:00:00Z")).map(\.start)
        XCTAssertEqual(starts, [date("2026-03-27T08:00:00Z"), date("2026-03-28T08:00:00Z"), date("2026-03-29T07:00:00Z"), date("2026-03-30T07:00:00Z")])
    }

    func testEveryOtherWeek() throws {
        let text = """
            BEGIN:VCALENDAR
            BEGIN:VEVENT
            UID:biweekly
            DTSTART:20261103T140000Z
            DTEND:20261103T150000Z
            RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=5
            SUMMARY:Lab
            END:VEVENT
            END:VCALENDAR
            """
        let starts = try ICalendar.parse(text).bookings(from: date("2026-11-01T00:00:00Z"), to: date("2027-01-01T00:00:00Z")).map(\.start)
        XCTAssertEqual(starts, ["2026-11-03", "2026-11-05", "2026-11-17", "2026-11-19", "2026-12-01"].map { date("\($0)T14:00:00Z") })
    }

    func testBadFeedsNameTheLine() {
        let cases = [
            ("BEGIN:VEVENT\nUID:x\nSUMMARY:y\nEND:VEVENT", 4, "without DTSTART"),
            ("BEGIN:VEVENT\nDTSTART:2026-11-23 09:00\nEND:VEVENT", 2, "DTSTART"),
            ("BEGIN:VEVENT\nDTSTART:20261123T090000Z\nRRULE:FREQ=MONTHLY\nEND:VEVENT", 3, "RRULE"),
            ("BEGIN:VEVENT\nDTSTART:20261123T090000Z\nDURATION:1 hour\nEND:VEVENT", 3, "DURATION"),
            ("BEGIN:VEVENT\nDTSTART:20261123T090000Z\nDURATION:-PT15M\nEND:VEVENT", 3, "DURATION"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try ICalendar.parse(text), text) { error in
                guard let error = error as? ICalendar.ParseError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, text)
                XCTAssertTrue(error.message.contains(fragment), error.message)
            }
        }
    }
}
