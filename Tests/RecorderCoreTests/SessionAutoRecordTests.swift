import RecorderCore
import XCTest

/// Auto-recording follows the session's start: one recording each time the host comes on stage.
final class SessionAutoRecordTests: XCTestCase {
    func testTheHostComingOnStageStartsOneRecording() {
        var rule = SessionAutoRecord()
        XCTAssertFalse(rule.shouldStart(hostPresent: false, recording: false), "joined, no host yet")
        XCTAssertTrue(rule.shouldStart(hostPresent: true, recording: false), "the host came: the session started")
        XCTAssertFalse(rule.shouldStart(hostPresent: true, recording: true), "more events while it records")
        XCTAssertFalse(rule.shouldStart(hostPresent: true, recording: false), "stopped by hand: not again while the host stays")
        XCTAssertFalse(rule.shouldStart(hostPresent: false, recording: false), "the host left")
        XCTAssertTrue(rule.shouldStart(hostPresent: true, recording: false), "and came back: a new start")
    }

    func testAHostWhoReturnsWithinTheGraceFindsTheRecordingGoing() {
        var rule = SessionAutoRecord()
        XCTAssertTrue(rule.shouldStart(hostPresent: true, recording: false))
        XCTAssertFalse(rule.shouldStart(hostPresent: false, recording: true), "the grace runs")
        XCTAssertFalse(rule.shouldStart(hostPresent: true, recording: true), "back within it: the same recording goes on")
        XCTAssertFalse(rule.shouldStart(hostPresent: true, recording: false), "and a stop by hand then is not undone")
    }

    func testARecordingAlreadyGoingIsNotStartedTwice() {
        var rule = SessionAutoRecord()
        XCTAssertFalse(rule.shouldStart(hostPresent: true, recording: true), "a booking already records when the host comes")
        XCTAssertFalse(rule.shouldStart(hostPresent: true, recording: false), "its end by the timetable is not a new start")
    }
}
