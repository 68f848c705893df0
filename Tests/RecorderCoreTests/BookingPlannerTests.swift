import Foundation
import RecorderCore
import XCTest

final class BookingPlannerTests: XCTestCase {
    private let t0 = ISO8601DateFormatter().date(from: "2026-11-23T09:00:00Z")!

    private func booking(_ id: String, _ startMinutes: Double, _ endMinutes: Double, _ title: String? = nil, created: Double = 0) -> Booking {
        Booking(bookingId: id, title: title ?? id, start: t0 + startMinutes * 60, end: t0 + endMinutes * 60, createdBy: nil, createdAt: t0 + created)
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

    func testOverlappingAndTouchingBookingsAreOneBlockUnderTheFirstTitle() {
        let planner = BookingPlanner(bookings: [
            booking("later", 50, 90, "Chemistry"),
            booking("first", 0, 60, "Physics"),
            booking("touching", 90, 100, "Lab"),
            booking("apart", 120, 130, "Seminar"),
        ])
        XCTAssertEqual(planner.blocks.map(\.title), ["Physics", "Seminar"])
        XCTAssertEqual(planner.blocks[0].bookingIds, ["first", "later", "touching"])
        XCTAssertEqual(planner.blocks[0].end, t0 + 100 * 60)
        XCTAssertEqual(planner.block(at: t0 + 95 * 60)?.title, "Physics")
        XCTAssertNil(planner.block(at: t0 + 110 * 60))
        XCTAssertNil(planner.block(at: t0 + 100 * 60), "the end is not part of the block")
        XCTAssertEqual(planner.block(at: t0)?.title, "Physics", "the start is")
        XCTAssertEqual(planner.nextChange(after: t0 + 10 * 60), t0 + 100 * 60)
        XCTAssertEqual(planner.nextChange(after: t0 + 100 * 60), t0 + 120 * 60)
        XCTAssertNil(planner.nextChange(after: t0 + 130 * 60))
    }

    func testBookingsStartingTogetherAreOrderedByCreation() {
        let planner = BookingPlanner(bookings: [booking("b", 0, 30, "Second", created: 5), booking("a", 0, 60, "First", created: 1)])
        XCTAssertEqual(planner.blocks.map(\.title), ["First"])
        XCTAssertEqual(planner.blocks.first?.end, t0 + 60 * 60)
    }

    func testEmptyOrBackwardBookingsAreIgnored() {
        XCTAssertTrue(BookingPlanner(bookings: [booking("x", 10, 10), booking("y", 20, 5)]).blocks.isEmpty)
    }
}
