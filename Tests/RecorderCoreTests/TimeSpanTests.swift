import Foundation
import RecorderCore
import XCTest

final class TimeSpanTests: XCTestCase {
    func testTheConfigurationsFormReadsAndPrintsItself() {
        let cases: [(String, Int)] = [("0s", 0), ("45s", 45), ("15m", 900), ("1h30m", 5400), ("24h", 86400), ("72h", 259_200),
                                      ("1h1m1s", 3661), ("2h5s", 7205), ("1m30s", 90)]
        for (text, seconds) in cases {
            XCTAssertEqual(TimeSpan(configText: text)?.seconds, seconds, text)
            XCTAssertEqual(TimeSpan(seconds: seconds).configText, text, "\(seconds) s")
            XCTAssertEqual(TimeSpan(configText: TimeSpan(seconds: seconds).configText), TimeSpan(seconds: seconds))
        }
        // Other spellings of the same spans read as before; they print in the shortest form.
        for (text, printed) in [("90m", "1h30m"), ("90s", "1m30s"), ("3600s", "1h"), ("0h", "0s"), ("007m", "7m"), ("1h0m", "1h")] {
            XCTAssertEqual(TimeSpan(configText: text)?.configText, printed, text)
        }
    }

    func testTheConfigurationsFormRejectsAnythingElse() {
        for text in ["", "90", "h", "1h30", "1.5h", "-5m", "+5m", "1H", "5 m", " 5m", "5m ", "30m1h", "1h1h", "1d", "PT1H", "1h30m2", "٣m",
                     "99999999999999999999h", "9223372036854775807h"] {
            XCTAssertNil(TimeSpan(configText: text), text)
        }
    }

    func testTheICalendarFormReadsAndPrintsItself() {
        let cases: [(String, Int)] = [("PT0S", 0), ("PT45M", 2700), ("PT1H30M", 5400), ("P1D", 86400), ("-PT15M", -900),
                                      ("P1DT2H", 93600), ("PT1H0M5S", 3605), ("PT1M30S", 90), ("P2DT3H4M5S", 183_845), ("-P1D", -86400)]
        for (text, seconds) in cases {
            XCTAssertEqual(TimeSpan(iCalendarText: text)?.seconds, seconds, text)
            XCTAssertEqual(TimeSpan(seconds: seconds).iCalendarText, text, "\(seconds) s")
            XCTAssertEqual(TimeSpan(iCalendarText: TimeSpan(seconds: seconds).iCalendarText), TimeSpan(seconds: seconds))
        }
        // What feeds write beside the canonical form.
        for (text, seconds) in [("P1W", 604_800), ("+PT5M", 300), ("PT24H", 86400), ("PT90M", 5400), ("P1W2D", 777_600), ("PT1H5S", 3605)] {
            XCTAssertEqual(TimeSpan(iCalendarText: text)?.seconds, seconds, text)
        }
        XCTAssertEqual(TimeSpan(seconds: 604_800).iCalendarText, "P7D", "days, a week as seven")
    }

    func testTheICalendarFormRejectsAnythingElse() {
        for text in ["", "1H", "T1H", "P1H", "PT1D", "P1M", "PT1W", "pt1h", "PT1.5H", "PT-5M", "--PT5M", "+-PT5M", "P T1H", "PT1H ", "PT30M1H",
                     "PT1HT5M", "P1D1W", "1h30m", "PT99999999999999999999S", "P99999999999999W"] {
            XCTAssertNil(TimeSpan(iCalendarText: text), text)
        }
    }

    func testTheTwoFormsAgree() {
        for seconds in [0, 1, 59, 60, 61, 3599, 3600, 5400, 86399, 86400, 90061, 259_200] {
            let span = TimeSpan(seconds: seconds)
            XCTAssertEqual(TimeSpan(configText: span.configText), TimeSpan(iCalendarText: span.iCalendarText), "\(seconds) s")
        }
    }

    func testItsDescriptionIsInWords() {
        XCTAssertEqual(TimeSpan.hours(24).description, "24 h")
        XCTAssertEqual(TimeSpan.minutes(90).description, "90 min", "the largest unit that counts it whole")
        XCTAssertEqual(TimeSpan.minutes(15).description, "15 min")
        XCTAssertEqual(TimeSpan(seconds: 45).description, "45 s")
        XCTAssertEqual(TimeSpan(seconds: 0).description, "0 s")
        XCTAssertEqual(TimeSpan(seconds: -900).description, "-15 min")
        XCTAssertEqual("\(TimeSpan(72 * 3600.0))", "72 h")
        XCTAssertEqual(TimeSpan(900.7).seconds, 900, "whole seconds, the fraction dropped")
        XCTAssertEqual(TimeSpan(.infinity).seconds, 0)
    }

    func testSpansCompareAndConvert() {
        XCTAssertLessThan(TimeSpan.minutes(59), TimeSpan.hours(1))
        XCTAssertTrue((TimeSpan.minutes(1)...TimeSpan.hours(72)).contains(TimeSpan.hours(12)))
        XCTAssertEqual(TimeSpan.days(1), TimeSpan.hours(24))
        XCTAssertEqual(TimeSpan.minutes(15).timeInterval, 900)
    }
}
