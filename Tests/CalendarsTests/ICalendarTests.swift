import Calendars
import Foundation
import XCTest

/// The engine on small feeds written for one rule each; `CalendarCorpusTests` compares it with an independent
/// implementation on real-world exports.
final class ICalendarTests: XCTestCase {
    private let berlin = TimeZone(identifier: "Europe/Berlin")!

    private func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    private func calendar(_ lines: [String], zone: TimeZone = TimeZone(identifier: "UTC")!) throws -> ICalendar {
        try ICalendar(parsing: (["BEGIN:VCALENDAR", "VERSION:2.0"] + lines + ["END:VCALENDAR", ""]).joined(separator: "\r\n"), defaultTimeZone: zone)
    }

    private func recorded(_ calendar: ICalendar, _ from: String, _ to: String) -> [ICalendar.Occurrence] {
        calendar.occurrences(from: date(from), to: date(to)).filter { !$0.cancelled }
    }

    /// A capture agent's feed: CRLF lines, a folded SUMMARY, a weekly class in a TZID, an exception date, one
    /// occurrence moved and one cancelled, a cancelled event, an all-day note.
    private let feed = [
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
    ]

    func testAWeekOfAFeed() throws {
        let week = recorded(try calendar(feed, zone: berlin), "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")
        XCTAssertEqual(week.map(\.summary), ["Physics 101, Optics and waves", "Seminar"], "Wednesday is an EXDATE; the cancelled event and the all-day note are not recorded")
        XCTAssertEqual(week[0].start, date("2026-11-23T09:00:00+01:00"))
        XCTAssertEqual(week[0].end, date("2026-11-23T10:30:00+01:00"))
        XCTAssertEqual(week[1].end, date("2026-11-24T13:45:00Z"), "DURATION")
    }

    func testAMovedAndACancelledOccurrence() throws {
        let all = try calendar(feed, zone: berlin).occurrences(from: date("2026-11-30T00:00:00+01:00"), to: date("2026-12-07T00:00:00+01:00"))
        XCTAssertEqual(all.map(\.summary), ["Physics 101 (moved)", "Physics 101"])
        XCTAssertEqual(all[0].start, date("2026-11-30T11:00:00+01:00"))
        XCTAssertEqual(all[0].recurrenceID, date("2026-11-30T09:00:00+01:00"), "the occurrence keeps the name of its place in the series")
        XCTAssertEqual(all[1].cancelled, true, "a cancelled occurrence is listed as cancelled, so a schedule can say why")
    }

    func testTheRuleEndsAtUntil() throws {
        XCTAssertEqual(recorded(try calendar(feed, zone: berlin), "2026-12-14T00:00:00+01:00", "2027-01-31T00:00:00+01:00").count, 2, "14 and 16 December")
    }

    func testRecurrencesKeepTheirWallClockTimeAcrossADaylightSavingChange() throws {
        let daily = try calendar(["BEGIN:VEVENT", "UID:daily", "DTSTART;TZID=Europe/Berlin:20260327T090000", "DTEND;TZID=Europe/Berlin:20260327T100000",
                                  "RRULE:FREQ=DAILY;COUNT=4", "SUMMARY:Daily", "END:VEVENT"])
        XCTAssertEqual(recorded(daily, "2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z").map(\.start),
                       [date("2026-03-27T08:00:00Z"), date("2026-03-28T08:00:00Z"), date("2026-03-29T07:00:00Z"), date("2026-03-30T07:00:00Z")])
    }

    func testTheRulesTheOldEngineRefused() throws {
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:staff", "DTSTART;TZID=Europe/Berlin:20260107T150000", "DURATION:PT1H", "RRULE:FREQ=MONTHLY;BYDAY=1WE",
            "SUMMARY:Staff meeting", "END:VEVENT",
            "BEGIN:VEVENT", "UID:last-workday", "DTSTART:20260130T120000Z", "DURATION:PT1H", "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "SUMMARY:Review", "END:VEVENT",
            "BEGIN:VEVENT", "UID:yearly", "DTSTART:20201015T100000Z", "DURATION:PT2H", "RRULE:FREQ=YEARLY", "SUMMARY:Open day", "END:VEVENT",
        ])
        let autumn = recorded(feed, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
        XCTAssertEqual(autumn.map(\.summary), ["Staff meeting", "Open day", "Review"])
        XCTAssertEqual(autumn.map(\.start), [date("2026-10-07T15:00:00+02:00"), date("2026-10-15T10:00:00Z"), date("2026-10-30T12:00:00Z")])
    }

    func testExtraDatesSeveralRulesAndThisAndFuture() throws {
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:s", "DTSTART:20261102T090000Z", "DTEND:20261102T100000Z",
            "RRULE:FREQ=WEEKLY;BYDAY=MO", "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=2",
            "RDATE;VALUE=PERIOD:20261104T140000Z/PT30M", "RDATE:20261105T080000Z", "SUMMARY:Class", "END:VEVENT",
            "BEGIN:VEVENT", "UID:s", "RECURRENCE-ID;RANGE=THISANDFUTURE:20261116T090000Z", "DTSTART:20261116T100000Z",
            "DTEND:20261116T113000Z", "SUMMARY:Class (new room)", "END:VEVENT",
        ])
        let starts = recorded(feed, "2026-11-01T00:00:00Z", "2026-11-24T00:00:00Z").map { "\(ISO8601DateFormatter().string(from: $0.start)) \($0.summary)" }
        XCTAssertEqual(starts, ["2026-11-02T09:00:00Z Class", "2026-11-04T14:00:00Z Class", "2026-11-05T08:00:00Z Class", "2026-11-06T09:00:00Z Class",
                                "2026-11-09T09:00:00Z Class", "2026-11-13T09:00:00Z Class", "2026-11-16T10:00:00Z Class (new room)",
                                "2026-11-23T10:00:00Z Class (new room)"])
        let period = recorded(feed, "2026-11-04T00:00:00Z", "2026-11-05T00:00:00Z")
        XCTAssertEqual(period.first?.end, date("2026-11-04T14:30:00Z"), "an RDATE period has its own end")
        XCTAssertEqual(recorded(feed, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z").first?.end, date("2026-11-23T11:30:00Z"),
                       "THISANDFUTURE moves the later occurrences and gives them its length")
    }

    func testASeriesBegunLongAgoIsExpandedFromTheWindow() throws {
        let old = try calendar(["BEGIN:VEVENT", "UID:old", "DTSTART;TZID=Europe/Berlin:20050103T081500", "DURATION:PT90M",
                                "RRULE:FREQ=WEEKLY;BYDAY=MO", "SUMMARY:Since 2005", "END:VEVENT"])
        XCTAssertEqual(recorded(old, "2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z").map(\.start), [date("2026-12-07T08:15:00+01:00")])
    }

    func testZonesFromWindowsNamesTheFeedAndXWRTimeZone() throws {
        let windows = try calendar(["BEGIN:VEVENT", "UID:w", "DTSTART;TZID=W. Europe Standard Time:20261207T090000", "DURATION:PT1H", "SUMMARY:W", "END:VEVENT"])
        XCTAssertEqual(recorded(windows, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z").first?.start, date("2026-12-07T08:00:00Z"))

        let ownZone = try calendar([
            "BEGIN:VTIMEZONE", "TZID:Campus Time", "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0300", "TZOFFSETTO:+0300",
            "TZNAME:CT", "END:STANDARD", "END:VTIMEZONE",
            "BEGIN:VEVENT", "UID:c", "DTSTART;TZID=Campus Time:20261207T090000", "DURATION:PT1H", "SUMMARY:C", "END:VEVENT"])
        XCTAssertEqual(recorded(ownZone, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z").first?.start, date("2026-12-07T06:00:00Z"))

        let text = ["BEGIN:VCALENDAR", "X-WR-TIMEZONE:America/New_York", "BEGIN:VEVENT", "UID:f", "DTSTART:20261207T090000", "DURATION:PT1H",
                    "SUMMARY:F", "END:VEVENT", "END:VCALENDAR"].joined(separator: "\n")
        let floating = try ICalendar(parsing: text, defaultTimeZone: berlin)
        XCTAssertEqual(recorded(floating, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z").first?.start, date("2026-12-07T14:00:00Z"),
                       "floating times are in X-WR-TIMEZONE, not the room's zone")
    }

    func testOneBadEventIsSkippedByNameAndLineAndTheRestIsUsed() throws {
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:good-1", "DTSTART:20261207T090000Z", "DURATION:PT1H", "SUMMARY:Good", "END:VEVENT",    // lines 3-8
            "BEGIN:VEVENT", "UID:bad-rule", "DTSTART:20261208T090000Z", "RRULE:FREQ=SOMETIMES", "SUMMARY:Bad", "END:VEVENT",  // 9-14
            "BEGIN:VEVENT", "UID:no-start", "SUMMARY:No start", "END:VEVENT",                                            // 15-18
            "BEGIN:VEVENT", "UID:bad-zone", "DTSTART;TZID=Atlantis:20261208T090000", "SUMMARY:Zone", "END:VEVENT",        // 19-23
            "BEGIN:VEVENT", "UID:bad-length", "DTSTART:20261208T090000Z", "DURATION:-PT15M", "SUMMARY:Alarm", "END:VEVENT",  // 24-29
            "BEGIN:VEVENT", "UID:good-2", "DTSTART:20261209T090000Z", "DURATION:PT1H", "SUMMARY:Also good", "END:VEVENT",
        ])
        XCTAssertEqual(recorded(feed, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z").map(\.summary), ["Good", "Also good"])
        XCTAssertEqual(feed.skipped.map(\.uid), ["bad-rule", "no-start", "bad-zone", "bad-length"])
        XCTAssertEqual(feed.skipped.map(\.line), [12, 15, 21, 27])
        XCTAssertTrue(feed.skipped[0].reason.contains("RRULE"), feed.skipped[0].reason)
        XCTAssertTrue(feed.skipped[2].reason.contains("Atlantis"), feed.skipped[2].reason)
        XCTAssertTrue(feed.skipped[0].description.hasPrefix("event \"bad-rule\" at line 12"), feed.skipped[0].description)
    }

    func testATextThatIsNotACalendarIsRefusedWhole() {
        let cases = [
            ("<html><body>Please sign in</body></html>", "does not begin with BEGIN:VCALENDAR"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20261207T090000Z\n", "before END:VCALENDAR"),
            ("", "does not begin"),
        ]
        for (text, fragment) in cases {
            XCTAssertThrowsError(try ICalendar(parsing: text)) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)")
            }
        }
    }

    /// What the review of the engine found, each a feed people write.
    func testAnOpenAlarmDoesNotHideTheEventsAfterIt() throws {
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:a", "DTSTART:20261207T090000Z", "DURATION:PT1H", "SUMMARY:A", "BEGIN:VALARM", "TRIGGER:-PT5M", "END:VEVENT",
            "BEGIN:VEVENT", "UID:b", "DTSTART:20261208T090000Z", "DURATION:PT1H", "SUMMARY:B", "END:VEVENT",
            "BEGIN:VEVENT", "UID:c", "DTSTART:20261209T090000Z", "RRULE:FREQ=SOMETIMES", "SUMMARY:C", "END:VEVENT",
        ])
        XCTAssertEqual(recorded(feed, "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z").map(\.summary), ["A", "B"])
        XCTAssertEqual(feed.skipped.map(\.uid), ["c"])
        XCTAssertEqual(feed.skipped.map(\.line), [20], "the RRULE's line, with the outline in step after the open VALARM")
    }

    func testLinesEndingInCarriageReturnsAlone() throws {
        let text = ["BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:cr", "DTSTART:20261207T090000Z", "DURATION:PT1H", "SUMMARY:CR", "END:VEVENT",
                    "END:VCALENDAR"].joined(separator: "\r")
        XCTAssertEqual(recorded(try ICalendar(parsing: text), "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z").map(\.summary), ["CR"])
    }

    func testFloatingExceptionsAreInTheSeriesZoneAndADateUntilKeepsItsDay() throws {
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:w", "DTSTART;TZID=Europe/Berlin:20261130T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;UNTIL=20261204",
            "EXDATE:20261202T090000", "SUMMARY:W", "END:VEVENT",
        ])
        XCTAssertEqual(recorded(feed, "2026-11-29T00:00:00Z", "2026-12-31T00:00:00Z").map(\.start),
                       ["2026-11-30", "2026-12-01", "2026-12-03", "2026-12-04"].map { date("\($0)T08:00:00Z") },
                       "the floating EXDATE is 09:00 in Berlin; the UNTIL date includes the 4th")
    }

    func testRulesLibicalCannotWalkQuicklyAreSkippedByName() throws {
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:minutely", "DTSTART:20261207T090000Z", "RRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30", "SUMMARY:M", "END:VEVENT",
            "BEGIN:VEVENT", "UID:hourly", "DTSTART:20261201T000000Z", "DURATION:PT10M", "RRULE:FREQ=HOURLY;INTERVAL=5", "SUMMARY:H", "END:VEVENT",
        ])
        XCTAssertEqual(feed.skipped.map(\.uid), ["minutely"])
        XCTAssertTrue(feed.skipped.first?.reason.contains("every minute or second") ?? false, "\(feed.skipped)")
        XCTAssertEqual(recorded(feed, "2026-12-03T00:00:00Z", "2026-12-03T12:00:00Z").map(\.start),
                       ["2026-12-03T02:00:00Z", "2026-12-03T07:00:00Z"].map(date), "every five hours from the 1st at midnight: hours 50 and 55")
    }

    func testAnEventWithoutAUIDKeepsItsNameWhenTheFeedChangesAroundIt() throws {
        let event = ["BEGIN:VEVENT", "DTSTART:20261207T090000Z", "DURATION:PT1H", "SUMMARY:No UID", "END:VEVENT"]
        let before = try calendar(event).occurrences(from: date("2026-12-01T00:00:00Z"), to: date("2026-12-31T00:00:00Z"))
        let after = try calendar(["BEGIN:VEVENT", "UID:new", "DTSTART:20261201T090000Z", "SUMMARY:New", "END:VEVENT"] + event)
            .occurrences(from: date("2026-12-01T00:00:00Z"), to: date("2026-12-31T00:00:00Z"))
        XCTAssertEqual(before.map(\.uid), after.filter { $0.summary == "No UID" }.map(\.uid))
    }

    func testThisAndFutureMovesLaterOccurrencesByTheWallClockAcrossADaylightSavingChange() throws {
        // Saturdays at 10:00 in Berlin; from 24 October on, Sundays at 10:00. The override's own move crosses the end
        // of summer time (25 October), so it is 25 hours by the clock on the wall but one day by the calendar.
        let feed = try calendar([
            "BEGIN:VEVENT", "UID:t", "DTSTART;TZID=Europe/Berlin:20261017T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY", "SUMMARY:Sat", "END:VEVENT",
            "BEGIN:VEVENT", "UID:t", "RECURRENCE-ID;TZID=Europe/Berlin;RANGE=THISANDFUTURE:20261024T100000",
            "DTSTART;TZID=Europe/Berlin:20261025T100000", "DURATION:PT1H", "SUMMARY:Sun", "END:VEVENT",
        ])
        XCTAssertEqual(recorded(feed, "2026-10-16T00:00:00Z", "2026-11-09T00:00:00Z").map(\.start),
                       [date("2026-10-17T08:00:00Z"), date("2026-10-25T09:00:00Z"), date("2026-11-01T09:00:00Z"), date("2026-11-08T09:00:00Z")],
                       "Sundays at 10:00 in winter time, not 11:00")
    }
}
