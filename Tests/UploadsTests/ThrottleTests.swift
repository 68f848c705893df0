import Foundation
import Networking
import TestSupport
import Uploads
import XCTest

/// The bandwidth limit holds: bytes never leave faster than the limit allows.
final class ThrottleTests: XCTestCase {
    func testTakingMoreThanTheBucketHoldsWaitsForTheRate() async throws {
        let throttle = Throttle(bytesPerSecond: 4 << 20)
        let start = ContinuousClock.now
        for _ in 0..<8 { try await throttle.take(1 << 20) }
        let elapsed = ContinuousClock.now - start
        // 8 MiB at 4 MiB/s from an empty bucket: at least 2 s (a lower bound; a loaded machine may take longer).
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1950))
    }

    func testNoLimitNeverWaits() async throws {
        let throttle = Throttle(bytesPerSecond: 0)
        for _ in 0..<1000 { try await throttle.take(1 << 30) }
    }

    func testAPacedCopyIsNoFasterThanTheLimit() async throws {
        let dir = try TemporaryDirectory()
        let recording = try LocalFolderTargetTests.recording(in: dir, bytes: 6 << 20)
        let target = LocalFolderTarget(root: "\(dir.path)/library", throttle: Throttle(bytesPerSecond: 3 << 20))
        let start = ContinuousClock.now
        let reports = Reports()
        _ = try await target.deliver(recording, from: UploadCheckpoint()) { await reports.add($0) }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(1950))
        let confirmed = await reports.all.map(\.bytesConfirmed)
        XCTAssertEqual(confirmed.count, 6, "paced copies confirm every MiB")
    }
}
