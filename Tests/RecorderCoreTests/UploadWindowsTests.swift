import Foundation
import RecorderCore
import XCTest

final class UploadWindowsTests: XCTestCase {
    private let berlin = TimeZone(identifier: "Europe/Berlin")!

    private func date(_ text: String) -> Date { ISO8601.date(text)! }

    func testNoWindowMeansAnyTime() {
        let always = UploadWindows()
        XCTAssertTrue(always.isOpen(at: date("2026-11-23T10:00:00Z")))
        XCTAssertNil(always.nextChange(after: date("2026-11-23T10:00:00Z")))
    }

    func testAWindowPastMidnightOpensInTheEveningAndClosesInTheMorning() {
        let nights = UploadWindows([UploadWindows.Window("18:00-07:00")!], timeZone: berlin)
        XCTAssertFalse(nights.isOpen(at: date("2026-11-23T12:00:00+01:00")))
        XCTAssertTrue(nights.isOpen(at: date("2026-11-23T18:00:00+01:00")), "the start is inside")
        XCTAssertTrue(nights.isOpen(at: date("2026-11-24T03:00:00+01:00")))
        XCTAssertFalse(nights.isOpen(at: date("2026-11-24T07:00:00+01:00")), "the end is outside")
        XCTAssertEqual(nights.nextChange(after: date("2026-11-23T12:00:00+01:00")), date("2026-11-23T18:00:00+01:00"))
        XCTAssertEqual(nights.nextChange(after: date("2026-11-23T20:00:00+01:00")), date("2026-11-24T07:00:00+01:00"))
    }

    func testWindowsFollowTheWallClockAcrossADaylightSavingChange() {
        // Berlin moves from CET to CEST on 29 March 2026 at 02:00.
        let nights = UploadWindows([UploadWindows.Window("18:00-07:00")!], timeZone: berlin)
        XCTAssertEqual(nights.nextChange(after: date("2026-03-28T20:00:00+01:00")), date("2026-03-29T07:00:00+02:00"))
        XCTAssertEqual(nights.nextChange(after: date("2026-03-29T12:00:00+02:00")), date("2026-03-29T18:00:00+02:00"))
    }

    func testSeveralWindows() {
        let windows = UploadWindows([UploadWindows.Window("12:00-13:30")!, UploadWindows.Window("20:00-24:00")!], timeZone: berlin)
        XCTAssertTrue(windows.isOpen(at: date("2026-11-23T13:00:00+01:00")))
        XCTAssertFalse(windows.isOpen(at: date("2026-11-23T14:00:00+01:00")))
        XCTAssertEqual(windows.nextChange(after: date("2026-11-23T14:00:00+01:00")), date("2026-11-23T20:00:00+01:00"))
        XCTAssertEqual(windows.nextChange(after: date("2026-11-23T21:00:00+01:00")), date("2026-11-24T00:00:00+01:00"))
    }

    func testBadWindowsAreRefused() {
        for text in ["18-07", "25:00-07:00", "18:00-18:00", "18:00", "6:5-07:00", "18:00-07:60"] {
            XCTAssertNil(UploadWindows.Window(text), text)
        }
    }
}
