import RecorderCore
import XCTest

/// The recording state machine and the platform's rules for a recording in progress, driven by a fake clock.
final class RecordingLifecycleTests: XCTestCase {
    private let t0 = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    private func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(by: seconds) }
    private let plenty: Int64 = 100 << 30
    private let hour = 3600.0

    func testStatesFollowThePlatformsLifecycle() {
        let happy: [RecordingState] = [.starting, .active, .ending, .complete]
        for (from, to) in zip(happy, happy.dropFirst()) { XCTAssertTrue(from.canMove(to: to), "\(from) → \(to)") }
        XCTAssertTrue(RecordingState.ending.canMove(to: .limitReached))
        XCTAssertTrue(RecordingState.active.canMove(to: .aborted), "a pipeline that fails ends the recording early")
        for unfinished in [RecordingState.starting, .active, .ending] {
            XCTAssertTrue(unfinished.canMove(to: .recovered), "after a crash")
            XCTAssertFalse(unfinished.canMove(to: .starting))
        }
        XCTAssertFalse(RecordingState.active.canMove(to: .complete), "complete only after the file is finished")
        XCTAssertFalse(RecordingState.starting.canMove(to: .complete))
        for final in [RecordingState.complete, .aborted, .limitReached, .recovered] {
            XCTAssertEqual(final.successors, [], "\(final) is final")
            XCTAssertFalse(final.isInProgress)
        }
    }

    func testAPartRollsOverAtTheCapAndTheSeriesClockCarriesOn() {
        let limits = RecordingRules.Limits(maxDuration: 24 * hour, maxSeriesDuration: 72 * hour)
        var rules = RecordingRules(limits: limits, startingAt: t0)
        XCTAssertEqual(rules.decide(at: at(24 * hour - 0.25), freeBytes: plenty), .keepRecording)
        XCTAssertEqual(rules.decide(at: at(24 * hour), freeBytes: plenty), .rollOver)
        // Parts 2 and 3 start within a second of the previous one's end.
        rules = rules.nextPart(startingAt: at(24 * hour + 0.5))
        XCTAssertEqual(rules.decide(at: at(48 * hour), freeBytes: plenty), .keepRecording)
        XCTAssertEqual(rules.decide(at: at(48 * hour + 0.5), freeBytes: plenty), .rollOver)
        rules = rules.nextPart(startingAt: at(48 * hour + 1))
        XCTAssertEqual(rules.decide(at: at(72 * hour - 1), freeBytes: plenty), .keepRecording)
        // The session limit (72 h) ends the session, counted from its first part.
        let end = rules.decide(at: at(72 * hour), freeBytes: plenty)
        XCTAssertEqual(end, .stop(.seriesLimit(72 * hour)))
        XCTAssertEqual(RecordingRules.StopReason.seriesLimit(72 * hour).finalState, .limitReached)
        XCTAssertEqual(RecordingRules.StopReason.seriesLimit(72 * hour).description, "the series of parts reached the platform's session limit of 72 h ([recording] max_session)")
    }

    func testALowerCapFromConfig() {
        let rules = RecordingRules(limits: .init(maxDuration: 90 * 60), startingAt: t0)
        XCTAssertEqual(rules.decide(at: at(89 * 60), freeBytes: plenty), .keepRecording)
        XCTAssertEqual(rules.decide(at: at(90 * 60), freeBytes: plenty), .rollOver)
    }

    func testTheHostReturningWithinTheGraceKeepsTheRecordingGoing() {
        var rules = RecordingRules(limits: .init(hostGrace: 15 * 60), startingAt: t0)
        rules.hostLeft(at: at(600))
        XCTAssertEqual(rules.decide(at: at(600 + 14 * 60), freeBytes: plenty), .keepRecording)
        rules.hostReturned()
        XCTAssertEqual(rules.decide(at: at(600 + 20 * 60), freeBytes: plenty), .keepRecording, "the grace is cancelled")
        // Leaving again starts a new grace period.
        rules.hostLeft(at: at(3000))
        XCTAssertEqual(rules.decide(at: at(3000 + 15 * 60 - 1), freeBytes: plenty), .keepRecording)
        XCTAssertEqual(rules.decide(at: at(3000 + 15 * 60), freeBytes: plenty), .stop(.hostGone(grace: 15 * 60)))
    }

    func testTheHostLeavingForGoodEndsTheRecordingAfterTheGraceAsComplete() {
        var rules = RecordingRules(limits: .init(hostGrace: 15 * 60), startingAt: t0)
        rules.hostLeft(at: at(100))
        rules.hostLeft(at: at(500))  // a second "left" while away does not restart the grace
        XCTAssertEqual(rules.decide(at: at(100 + 15 * 60), freeBytes: plenty), .stop(.hostGone(grace: 15 * 60)))
        XCTAssertEqual(RecordingRules.StopReason.hostGone(grace: 900).finalState, .complete)
        XCTAssertEqual(RecordingRules.StopReason.hostGone(grace: 900).description, "the host left and did not return within 15 min")
        // The absence carries into a part that rolls over meanwhile.
        let next = rules.nextPart(startingAt: at(200))
        XCTAssertEqual(next.decide(at: at(100 + 15 * 60), freeBytes: plenty), .stop(.hostGone(grace: 15 * 60)))
    }

    func testFallingUnderTheReserveStopsBeforeAnythingElse() {
        let rules = RecordingRules(limits: .init(maxDuration: 60, reserveBytes: 512 << 20), startingAt: t0)
        XCTAssertEqual(rules.decide(at: at(10), freeBytes: 513 << 20), .keepRecording)
        XCTAssertEqual(rules.decide(at: at(10), freeBytes: nil), .keepRecording, "unknown free space stops nothing")
        let low = rules.decide(at: at(60), freeBytes: 100 << 20)
        XCTAssertEqual(low, .stop(.lowDisk(free: 100 << 20, reserve: 512 << 20)))
        guard case .stop(let reason) = low else { return }
        XCTAssertEqual(reason.finalState, .aborted, "a recording cut short by the disk is not complete")
        XCTAssertEqual(reason.description, "free space fell to 100 MiB, under the reserve of 512 MiB ([recording] reserve_mb)")
    }
}
