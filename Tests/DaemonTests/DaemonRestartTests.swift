@testable import Daemon
import Foundation
import XCTest

/// What a restart asked for by the package's upgrade waits for.
final class DaemonRestartTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    func testWaitsForTheRecordingInProgress() {
        XCTAssertTrue(DaemonRestart.Obstacles(recordingId: "rec-1", nextScheduledStart: nil).block(at: now))
        XCTAssertFalse(DaemonRestart.Obstacles(recordingId: nil, nextScheduledStart: nil).block(at: now))
    }

    func testDoesNotRestartJustBeforeAClassStarts() {
        let soon = DaemonRestart.Obstacles(recordingId: nil, nextScheduledStart: now.addingTimeInterval(DaemonRestart.scheduleMargin - 1))
        XCTAssertTrue(soon.block(at: now), "a class starting within two minutes: after it")
        let later = DaemonRestart.Obstacles(recordingId: nil, nextScheduledStart: now.addingTimeInterval(DaemonRestart.scheduleMargin + 1))
        XCTAssertFalse(later.block(at: now))
        let started = DaemonRestart.Obstacles(recordingId: nil, nextScheduledStart: now.addingTimeInterval(-30))
        XCTAssertTrue(started.block(at: now), "due but not recording yet: the schedule is about to start it")
    }
}
