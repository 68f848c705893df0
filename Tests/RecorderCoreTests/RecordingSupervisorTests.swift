import RecorderCore
import XCTest

/// The recording supervisor's whole table: every stop intent (and none) × every pipeline outcome, for a recording
/// asked for by hand and for a booked one → the state it is finalized in, its reason, and what happens next.
final class RecordingSupervisorTests: XCTestCase {
    private let t0 = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    private let limits = RecordingRules.Limits(maxDuration: 24 * 3600, maxSeriesDuration: 72 * 3600, hostGrace: 900, reserveBytes: 512 << 20)
    private let block = SchedulePlanner.Block(start: Date(timeIntervalSince1970: 0), end: Date(timeIntervalSince1970: 3600), title: "Physics",
                                             eventIDs: ["b1", "b2"])
    private var manual: RecordingSupervisor.Start { .init(initiator: "alice", title: "Room 101") }
    private var booked: RecordingSupervisor.Start { .init(initiator: "schedule", title: "Physics", block: block) }

    private static let intents: [RecordingSupervisor.StopIntent?] = [
        nil, .person("alice"), .schedule, .rule(.hostGone(grace: 900)), .rule(.seriesLimit(72 * 3600)),
        .rule(.lowDisk(free: 100 << 20, reserve: 512 << 20)), .partLimit, .shutdown("roomrecd was stopped (signal 15) while recording"),
        .roomMoved("moved to breakout Group A"),
    ]
    private static let outcomes: [RecordingSupervisor.PipelineOutcome] = [
        .finished, .failed("the disk is full"), .encoderChanged(failure: "the video encoder h264_vaapi failed: EIO", change: "the recording goes on with libx264 in a new part"),
        .encoderChanged(failure: nil, change: "libx264 fell behind; the recording goes on with veryfast in a new part"),
    ]

    /// A supervisor recording `start`, as the controller leaves it after a successful start.
    private func recording(_ start: RecordingSupervisor.Start) -> RecordingSupervisor {
        var supervisor = RecordingSupervisor(limits: limits)
        XCTAssertEqual(try supervisor.startAsked(start).get(), nil, "a first part starts with rules of its own")
        XCTAssertNil(supervisor.started(recordingID: "r1", at: t0))
        return supervisor
    }

    /// What the table says for one case, written out.
    private struct Expected: Equatable {
        var state: RecordingState
        var reason: String?
        var nextPart: Bool
        var dismissed: [String]
    }

    private func expected(_ intent: RecordingSupervisor.StopIntent?, _ outcome: RecordingSupervisor.PipelineOutcome, booked: Bool) -> Expected {
        let dismissed: [String]
        switch intent {
        case .person?, .rule(.hostGone)?, .rule(.seriesLimit)?: dismissed = booked ? ["b1", "b2"] : []
        default: dismissed = []
        }
        switch outcome {
        case .failed(let why): return Expected(state: .aborted, reason: why, nextPart: false, dismissed: dismissed)
        case .encoderChanged(let failure, let change):
            let goesOn = intent == nil || intent == .partLimit || intent == .roomMoved("moved to breakout Group A")
            return Expected(state: .aborted, reason: [failure, change].compactMap { $0 }.joined(separator: "; "), nextPart: goesOn, dismissed: dismissed)
        case .finished: break
        }
        switch intent {
        case nil, .person?, .schedule?: return Expected(state: .complete, reason: nil, nextPart: false, dismissed: dismissed)
        case .rule(.hostGone)?: return Expected(state: .complete, reason: "the host left and did not return within 15 min", nextPart: false, dismissed: dismissed)
        case .rule(.seriesLimit)?: return Expected(state: .limitReached, reason: "the series of parts reached the platform's session limit of 72 h ([recording] max_session)", nextPart: false, dismissed: dismissed)
        case .rule(.lowDisk)?:
            return Expected(state: .aborted, reason: "free space fell to 100 MiB, under the reserve of 512 MiB ([recording] reserve_mb)", nextPart: false, dismissed: [])
        case .partLimit?:
            return Expected(state: .limitReached, reason: "reached the limit of one recording (24 h)" + (booked ? "; the booking goes on in a new recording" : ""),
                            nextPart: booked, dismissed: [])
        case .shutdown(let why)?: return Expected(state: .aborted, reason: why, nextPart: false, dismissed: [])
        case .roomMoved(let why)?: return Expected(state: .complete, reason: why, nextPart: true, dismissed: [])
        }
    }

    func testEveryStopIntentAndPipelineOutcomeEndsAsTheTableSays() {
        var cases = 0
        for isBooked in [false, true] {
            for intent in Self.intents {
                for outcome in Self.outcomes {
                    var supervisor = recording(isBooked ? booked : manual)
                    var dismissed: [String] = []
                    if let intent {
                        guard case .stopPipeline(let part, let dismiss) = supervisor.stopAsked(intent) else {
                            return XCTFail("\(intent) did not stop the pipeline")
                        }
                        XCTAssertEqual(part.recordingID, "r1")
                        dismissed = dismiss
                        XCTAssertFalse(supervisor.isRecording)
                        XCTAssertEqual(supervisor.current?.recordingID, "r1", "still the current part while it stops")
                    }
                    let label = "\(isBooked ? "booked" : "manual"), \(intent.map { "\($0)" } ?? "no stop asked"), \(outcome)"
                    guard let ending = supervisor.pipelineEnded(outcome) else { return XCTFail("\(label): no ending") }
                    let want = expected(intent, outcome, booked: isBooked)
                    let shutdown = { if case .shutdown = intent { true } else { false } }()
                    XCTAssertEqual(Expected(state: ending.finalState, reason: ending.reason, nextPart: ending.nextPart != nil, dismissed: dismissed),
                                   shutdown ? Expected(state: want.state, reason: want.reason, nextPart: false, dismissed: want.dismissed) : want, label)
                    XCTAssertEqual(ending.recordingID, "r1", label)
                    if let next = ending.nextPart { XCTAssertEqual(next, isBooked ? booked : manual, "\(label): the next part records the same") }
                    XCTAssertEqual(supervisor.isBusy, false, "\(label): nothing is being written between parts")
                    XCTAssertEqual(ending.blockFailed, isBooked && { if case .failed = outcome { true } else { false } }(), label)
                    XCTAssertEqual(ending.announceStop, intent == nil && ending.nextPart == nil,
                                   "\(label): the session hears of the stop once, when it is asked or when the pipeline ends by itself")
                    XCTAssertTrue(ending.finalState.successors.isEmpty || ending.finalState == .failed, label)
                    XCTAssertTrue(RecordingState.ending.canMove(to: ending.finalState), "\(label): ending → \(ending.finalState)")
                    cases += 1
                }
            }
        }
        XCTAssertEqual(cases, 2 * 9 * 4)
    }

    func testTheNextPartCarriesTheSessionClockAndTheHostsAbsence() throws {
        var supervisor = recording(booked)
        supervisor.hostLeft(at: t0.advanced(by: 100))
        XCTAssertEqual(supervisor.ruleIntent(at: t0.advanced(by: 24 * 3600), freeBytes: 1 << 40), .rule(.hostGone(grace: 900)),
                       "the host's grace ran out before the part limit")
        supervisor.hostReturned()
        let limit = t0.advanced(by: 24 * 3600)
        XCTAssertEqual(supervisor.ruleIntent(at: limit, freeBytes: 1 << 40), .partLimit)
        _ = supervisor.stopAsked(.partLimit)
        let ending = try XCTUnwrap(supervisor.pipelineEnded(.finished))
        XCTAssertEqual(ending.nextPart, booked)
        XCTAssertEqual(try supervisor.startAsked(booked).get()?.seriesStartedAt, t0, "the next part keeps the series clock")
        XCTAssertNil(supervisor.started(recordingID: "r2", at: limit))
        XCTAssertEqual(supervisor.current?.rules.seriesStartedAt, t0)
        XCTAssertEqual(supervisor.current?.rules.partStartedAt, limit)
        XCTAssertEqual(supervisor.ruleIntent(at: limit.advanced(by: 48 * 3600), freeBytes: 1 << 40), .rule(.seriesLimit(72 * 3600)),
                       "three days after the first part, whatever part is running")
    }

    func testANextPartThatDoesNotStartLeavesTheSupervisorIdleWithoutCarry() throws {
        var supervisor = recording(booked)
        _ = supervisor.stopAsked(.partLimit)
        XCTAssertNotNil(supervisor.pipelineEnded(.finished)?.nextPart)
        supervisor.nextPartNotStarted()
        XCTAssertEqual(try supervisor.startAsked(manual).get(), nil, "a later recording starts a session of its own")
    }

    func testOneRecordingAtATime() {
        var supervisor = RecordingSupervisor(limits: limits)
        XCTAssertEqual(supervisor.startAsked(manual), .success(nil))
        XCTAssertEqual(supervisor.startAsked(booked), .failure(.busy(recordingID: nil, .starting)))
        XCTAssertEqual(supervisor.stopAsked(.person("bob")), .alreadyStopping(recordingID: nil, .starting))
        XCTAssertNil(supervisor.started(recordingID: "r1", at: t0))
        XCTAssertEqual(supervisor.startAsked(booked), .failure(.busy(recordingID: "r1", .active)))
        _ = supervisor.stopAsked(.person("bob"))
        XCTAssertEqual(supervisor.startAsked(booked), .failure(.busy(recordingID: "r1", .ending)))
        XCTAssertEqual(supervisor.stopAsked(.schedule), .alreadyStopping(recordingID: "r1", .ending), "the first stop's intent stands")
        XCTAssertEqual(supervisor.pipelineEnded(.finished)?.finalState, .complete)
        XCTAssertEqual(supervisor.stopAsked(.person("bob")), .notRecording)
        XCTAssertNil(supervisor.pipelineEnded(.finished), "a pipeline of no part in progress changes nothing")
    }

    func testAStartThatFailsFreesTheRoom() {
        var supervisor = RecordingSupervisor(limits: limits)
        _ = supervisor.startAsked(manual)
        supervisor.startFailed()
        XCTAssertFalse(supervisor.isBusy)
        XCTAssertEqual(supervisor.startAsked(manual), .success(nil))
    }

    func testShutdownRefusesNewRecordingsAndStopsTheOneStartingOnceItRuns() {
        var supervisor = RecordingSupervisor(limits: limits)
        _ = supervisor.startAsked(manual)
        XCTAssertEqual(supervisor.shutdown(reason: "stopping"), .alreadyStopping(recordingID: nil, .starting))
        XCTAssertEqual(supervisor.startAsked(booked), .failure(.shuttingDown))
        guard case .stopPipeline(let part, _)? = supervisor.started(recordingID: "r1", at: t0) else { return XCTFail("not stopped once running") }
        XCTAssertEqual(part.recordingID, "r1")
        let ending = supervisor.pipelineEnded(.encoderChanged(failure: nil, change: "faster preset"))
        XCTAssertNil(ending?.nextPart, "no next part while roomrecd stops")
        XCTAssertEqual(ending?.finalState, .aborted)
    }

    func testABlockFollowsTheRecordingItAdopts() {
        var supervisor = recording(manual)
        supervisor.follow(block)
        XCTAssertEqual(supervisor.current?.start.block, block)
        guard case .stopPipeline(_, let dismissed) = supervisor.stopAsked(.person("alice")) else { return XCTFail("not stopped") }
        XCTAssertEqual(dismissed, ["b1", "b2"], "stopped by hand, the adopted block is not started again")
    }
}
