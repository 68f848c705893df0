import Foundation
import RecorderCore
import XCTest

/// The conflict rule: overlapping events are one recording; scheduled beats ad hoc; `split` gives each class its
/// own recording; cancelled events are never recorded.
final class SchedulePlannerTests: XCTestCase {
    private let t0 = ISO8601DateFormatter().date(from: "2026-11-23T09:00:00Z")!

    private func event(_ id: String, _ startMinutes: Double, _ endMinutes: Double, _ title: String? = nil, created: Double = 0,
                       origin: PlannedEvent.Origin = .booking, cancelled: Bool = false) -> PlannedEvent {
        PlannedEvent(id: id, title: title ?? id, start: t0 + startMinutes * 60, end: t0 + endMinutes * 60, origin: origin, cancelled: cancelled,
                     createdAt: t0 + created)
    }

    func testTheDefaultFrameIsAnHourFromTheNextQuarterHour() {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let at = { (text: String) in ISO8601DateFormatter().date(from: text)! }
        let frame = Booking.defaultFrame(after: at("2026-11-23T09:07:31Z"), calendar: utc)
        XCTAssertEqual(frame.start, at("2026-11-23T09:15:00Z"))
        XCTAssertEqual(frame.end, at("2026-11-23T10:15:00Z"))
        XCTAssertEqual(Booking.defaultFrame(after: at("2026-11-23T09:15:00Z"), calendar: utc).start, at("2026-11-23T09:30:00Z"),
                       "on a quarter hour exactly, the next one")
        XCTAssertEqual(Booking.defaultFrame(after: at("2026-11-23T23:59:59Z"), calendar: utc).start, at("2026-11-24T00:00:00Z"))
    }

    func testOverlappingAndTouchingEventsAreOneBlockUnderTheFirstTitle() {
        let planner = SchedulePlanner(events: [
            event("later", 50, 90, "Chemistry"),
            event("first", 0, 60, "Physics"),
            event("touching", 90, 100, "Lab"),
            event("apart", 120, 130, "Seminar"),
        ])
        XCTAssertEqual(planner.blocks.map(\.title), ["Physics", "Seminar"])
        XCTAssertEqual(planner.blocks[0].eventIDs, ["first", "later", "touching"])
        XCTAssertEqual(planner.blocks[0].end, t0 + 100 * 60)
        XCTAssertEqual(planner.block(at: t0 + 95 * 60)?.title, "Physics")
        XCTAssertNil(planner.block(at: t0 + 110 * 60))
        XCTAssertNil(planner.block(at: t0 + 100 * 60), "the end is not part of the block")
        XCTAssertEqual(planner.block(at: t0)?.title, "Physics", "the start is")
        XCTAssertEqual(planner.nextChange(after: t0 + 10 * 60), t0 + 100 * 60)
        XCTAssertEqual(planner.nextChange(after: t0 + 100 * 60), t0 + 120 * 60)
        XCTAssertNil(planner.nextChange(after: t0 + 130 * 60))
        XCTAssertEqual(planner.block(of: "touching")?.leadID, "first")
    }

    func testEachOpencastEventIsAnEpisodeAtItsOwnTimesWhatJoinsItAdHocMerges() {
        let opencast = { (uid: String) in PlannedEvent.Origin.opencast(eventID: uid) }
        let planner = SchedulePlanner(events: [
            event("oc-1", 0, 60, "Lecture 1", origin: opencast("1")),
            event("oc-2", 60, 120, "Lecture 2", origin: opencast("2")),
            event("during", 100, 130, "Seminar", origin: .timetable),
            event("class", 150, 240, "Timetable class", origin: .timetable),
            event("oc-3", 180, 200, "Lecture 3", origin: opencast("3")),
            event("extended", 195, 205, "Extension beside a class"),
            event("kaltura", 300, 330, "Kaltura class", origin: .kaltura(eventID: "k", templateEntryID: nil)),
            event("oc-4", 300, 320, "Lecture 4", origin: opencast("4")),
            event("oc-5", 400, 420, "Lecture 5", origin: opencast("5")),
            event("extension", 415, 425, "Extension"),
        ])
        XCTAssertEqual(planner.blocks.map(\.title), ["Lecture 1", "Lecture 2", "Seminar", "Timetable class", "Lecture 3", "Timetable class",
                                                     "Lecture 4", "Kaltura class", "Lecture 5"])
        XCTAssertEqual(planner.blocks.map(\.opencastEventID), ["1", "2", nil, nil, "3", nil, "4", nil, "5"])
        let minutes = planner.blocks.map { [Int($0.start.timeIntervalSince(t0) / 60), Int($0.end.timeIntervalSince(t0) / 60)] }
        XCTAssertEqual(minutes, [[0, 60], [60, 120], [120, 130], [150, 180], [180, 200], [200, 240], [300, 320], [320, 330], [400, 425]],
                       "back to back yet two episodes; a class starting during an episode is recorded from its end; a class an episode interrupts "
                       + "goes on after it; an episode starting with a class leads; an extension lengthens the episode")
        XCTAssertEqual(planner.blocks[5].eventIDs, ["class", "extended"], "beside a class going on, an extension joins the class")
        XCTAssertEqual(planner.blocks[8].eventIDs, ["oc-5", "extension"])
        XCTAssertEqual(planner.block(at: t0 + 210 * 60)?.leadID, "class")
        XCTAssertEqual(event("x", 0, 1, origin: opencast("ev-9")).source, "opencast:ev-9")
    }

    func testEventsStartingTogetherAreOrderedByCreation() {
        let planner = SchedulePlanner(events: [event("b", 0, 30, "Second", created: 5), event("a", 0, 60, "First", created: 1)])
        XCTAssertEqual(planner.blocks.map(\.title), ["First"])
        XCTAssertEqual(planner.blocks.first?.end, t0 + 60 * 60)
    }

    func testEmptyBackwardAndCancelledEventsAreIgnored() {
        XCTAssertTrue(SchedulePlanner(events: [event("x", 10, 10), event("y", 20, 5), event("z", 0, 60, cancelled: true)]).blocks.isEmpty)
        XCTAssertNil(SchedulePlanner(events: [event("z", 0, 60, cancelled: true)]).block(of: "z"))
    }

    func testScheduledBeatsAdHoc() {
        // A booking made for 08:50 runs into the 09:00 class: one recording, named after the class.
        let planner = SchedulePlanner(events: [event("booked", -10, 20, "Office hour"), event("class", 0, 90, "Physics", origin: .timetable)])
        XCTAssertEqual(planner.blocks.count, 1)
        XCTAssertEqual(planner.blocks[0].title, "Physics")
        XCTAssertEqual(planner.blocks[0].leadID, "class")
        XCTAssertEqual(planner.blocks[0].start, t0 - 10 * 60, "the recording still starts with the booking")
        // A booking starting together with a class does not name it either, whenever it was made.
        let together = SchedulePlanner(events: [event("booked", 0, 30, "Mine", created: -99), event("class", 0, 60, "Physics", origin: .calendar(feed: "x"))])
        XCTAssertEqual(together.blocks.map(\.title), ["Physics"])
    }

    func testOverlappingClassesAreOneRecordingNamedAfterTheFirstOrEachTheirOwnWhenSplit() {
        let classes = [event("a", 0, 90, "Physics", origin: .timetable), event("b", 60, 150, "Chemistry", origin: .kaltura(eventID: "7", templateEntryID: nil)),
                       event("q", 140, 170, "Questions")]
        let merged = SchedulePlanner(events: classes, rule: .merge)
        XCTAssertEqual(merged.blocks.map(\.title), ["Physics"])
        XCTAssertEqual(merged.blocks[0].end, t0 + 170 * 60)

        let split = SchedulePlanner(events: classes, rule: .split)
        XCTAssertEqual(split.blocks.map(\.title), ["Physics", "Chemistry"])
        XCTAssertEqual(split.blocks.map(\.start), [t0, t0 + 60 * 60], "the later class's start ends the earlier one's recording")
        XCTAssertEqual(split.blocks.map(\.end), [t0 + 60 * 60, t0 + 170 * 60], "a booking still joins the class it overlaps")
        XCTAssertEqual(split.blocks[1].eventIDs, ["b", "q"])
    }

    func testSourcesAreNamedAsTheScheduleListsThem() {
        XCTAssertEqual(event("t", 0, 1, origin: .timetable).source, "timetable")
        XCTAssertEqual(event("c", 0, 1, origin: .calendar(feed: "cal.example.edu")).source, "calendar:cal.example.edu")
        XCTAssertEqual(event("k", 0, 1, origin: .kaltura(eventID: "1_42", templateEntryID: "0_t")).source, "kaltura:1_42")
        XCTAssertEqual(event("b7", 0, 1).source, "booking:b7")
        XCTAssertFalse(event("b7", 0, 1).isScheduled)
    }

    func testSplitCountsFromTheClassThatLeadsNotFromABookingBeforeIt() {
        // A booking at 08:00 runs into two classes that start together at 09:00, and a third that starts at 09:30.
        let planner = SchedulePlanner(events: [
            event("booked", -60, 0, "Office hour"), event("c1", 0, 60, "Physics", origin: .timetable),
            event("c2", 0, 30, "Physics lab", created: 1, origin: .timetable), event("c3", 30, 90, "Chemistry", origin: .timetable),
        ], rule: .split)
        XCTAssertEqual(planner.blocks.map(\.title), ["Physics", "Chemistry"], "classes starting together are one recording")
        XCTAssertEqual(planner.blocks.map(\.start), [t0 - 60 * 60, t0 + 30 * 60])
        XCTAssertEqual(planner.blocks[0].eventIDs, ["booked", "c1", "c2"])
        XCTAssertEqual(planner.events(at: t0 + 45 * 60).map(\.id), ["c1", "c3"])
    }
}
