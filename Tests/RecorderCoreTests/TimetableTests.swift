import Foundation
import RecorderCore
import XCTest

final class TimetableTests: XCTestCase {
    private let berlin = TimeZone(identifier: "Europe/Berlin")!

    private func date(_ text: String) -> Date { ISO8601.date(text)! }

    /// Physics on Monday and Wednesday 09:00–10:30 in the winter term, with a holiday on a Wednesday.
    private var physics: Timetable {
        Timetable(slots: [Timetable.Slot(title: "Physics 101", weekdays: [2, 4], start: 9 * 60, end: 10 * 60 + 30)],
                  termStart: "2026-09-01", termEnd: "2026-12-18", exceptions: ["2026-11-25"], preRollMinutes: 5, postRollMinutes: 10,
                  timeZone: berlin)
    }

    func testWeeklyClassesWithPreAndPostRollAndAnExceptionDate() {
        let week = physics.events(from: date("2026-11-23T00:00:00+01:00"), to: date("2026-11-30T00:00:00+01:00"))
        XCTAssertEqual(week.map(\.id), ["timetable-2026-11-23-1"], "Wednesday the 25th is an exception")
        XCTAssertEqual(week.first?.start, date("2026-11-23T08:55:00+01:00"))
        XCTAssertEqual(week.first?.end, date("2026-11-23T10:40:00+01:00"))
        XCTAssertEqual(week.first?.title, "Physics 101")
        XCTAssertEqual(week.first?.source, "timetable")

        let next = physics.events(from: date("2026-11-30T00:00:00+01:00"), to: date("2026-12-07T00:00:00+01:00"))
        XCTAssertEqual(next.map(\.id), ["timetable-2026-11-30-1", "timetable-2026-12-02-1"])
    }

    func testNothingOutsideTheTerm() {
        XCTAssertTrue(physics.events(from: date("2026-12-19T00:00:00+01:00"), to: date("2027-01-31T00:00:00+01:00")).isEmpty)
        XCTAssertTrue(physics.events(from: date("2026-08-01T00:00:00+02:00"), to: date("2026-09-01T00:00:00+02:00")).isEmpty)
    }

    func testAClassInProgressAtTheStartOfTheRangeIsIncluded() {
        let now = date("2026-11-23T10:00:00+01:00")
        XCTAssertEqual(physics.events(from: now, to: now.addingTimeInterval(60)).map(\.id), ["timetable-2026-11-23-1"])
    }

    func testClassesKeepTheirWallClockTimeAcrossADaylightSavingChange() {
        var timetable = physics
        timetable.termStart = "2026-03-01"
        timetable.termEnd = "2026-04-30"
        timetable.preRollMinutes = 0
        let classes = timetable.events(from: date("2026-03-23T00:00:00+01:00"), to: date("2026-04-01T00:00:00+02:00"))
        // Berlin moves to CEST on 29 March: 09:00 is 08:00 UTC before and 07:00 UTC after.
        XCTAssertEqual(classes.map(\.start), [date("2026-03-23T08:00:00Z"), date("2026-03-25T08:00:00Z"), date("2026-03-30T07:00:00Z")])
    }

    func testTheTimetableAndABookingThatOverlapAreRecordedOnce() {
        let classes = physics.events(from: date("2026-11-23T00:00:00+01:00"), to: date("2026-11-24T00:00:00+01:00"))
        let extra = Booking(bookingId: "b1", title: "Physics 101 Q&A", start: date("2026-11-23T10:30:00+01:00"),
                            end: date("2026-11-23T11:30:00+01:00"), createdBy: "teacher", createdAt: date("2026-11-20T12:00:00Z"))
        let blocks = SchedulePlanner(events: classes + [extra.plannedEvent]).blocks
        XCTAssertEqual(blocks.count, 1)
        XCTAssertEqual(blocks[0].start, date("2026-11-23T08:55:00+01:00"))
        XCTAssertEqual(blocks[0].end, date("2026-11-23T11:30:00+01:00"))
        XCTAssertEqual(blocks[0].title, "Physics 101")
    }

    func testConfiguration() throws {
        let config = try RoomRecorderConfig.parse("""
            [schedule]
            time_zone = "Europe/Berlin"
            term_start = 2026-09-01
            term_end = "2026-12-18"
            exceptions = [2026-11-25, "2026-12-08"]
            pre_roll_minutes = 5
            post_roll_minutes = 10

            [[schedule.class]]
            title = "Physics 101"
            days = ["mon", "Wed"]
            start = "09:00"
            end = "10:30"

            [[schedule.class]]
            title = "Chemistry"
            days = ["fri"]
            start = "14:15"
            end = "15:45"
            """, file: "timetable.toml")
        let timetable = config.schedule.timetable
        XCTAssertEqual(timetable.timeZone, berlin)
        XCTAssertEqual(timetable.termStart, "2026-09-01")
        XCTAssertEqual(timetable.exceptions, ["2026-11-25", "2026-12-08"])
        XCTAssertEqual(timetable.slots, [Timetable.Slot(title: "Physics 101", weekdays: [2, 4], start: 540, end: 630),
                                         Timetable.Slot(title: "Chemistry", weekdays: [6], start: 855, end: 945)])
    }

    func testBadTimetablesNameTheLineAndTheKey() {
        let cases: [(String, Int, String, String)] = [
            ("[schedule]\ntime_zone = \"Mars/Olympus\"", 2, "schedule.time_zone", "IANA time zone"),
            ("[schedule]\nterm_start = \"2026-02-30\"", 2, "schedule.term_start", "2026-09-01"),
            ("[schedule]\nterm_start = 2026-09-01\nterm_end = 2026-08-01", 3, "schedule.term_end", "before it starts"),
            ("[schedule]\nexceptions = [\"24.12.2026\"]", 2, "schedule.exceptions", "2026-12-24"),
            ("[[schedule.class]]\ntitle = \"A\"\ndays = [\"monday\"]\nstart = \"09:00\"\nend = \"10:00\"", 3, "schedule.class[1].days", "\"mon\""),
            ("[[schedule.class]]\ntitle = \"A\"\ndays = [\"mon\"]\nstart = \"09:00\"\nend = \"08:00\"", 5, "schedule.class[1].end", "after the start"),
            ("[[schedule.class]]\ntitle = \"A\"\ndays = [\"mon\"]\nstart = \"9h\"\nend = \"10:00\"", 4, "schedule.class[1].start", "HH:MM"),
            ("[[schedule.class]]\ndays = [\"mon\"]\nstart = \"09:00\"\nend = \"10:00\"", 1, "schedule.class[1].title", "needs a title"),
            ("[[schedule.class]]\ntitle = \"A\"\ndays = [\"mon\"]\nstart = \"09:00\"\nend = \"10:00\"\nroom = \"x\"", 6, "schedule.class[1].room", "unknown key"),
        ]
        for (text, line, key, fragment) in cases {
            XCTAssertThrowsError(try RoomRecorderConfig.parse(text, file: "/etc/roomrec/roomrec.toml"), text) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, line, "\(text): \(error)")
                XCTAssertEqual(error.key, key, "\(text): \(error)")
                XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)")
            }
        }
    }
}
