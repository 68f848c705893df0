import Foundation
import RecorderCore
import XCTest

final class RetentionPolicyTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)
    private func file(_ id: String, daysAgo: Double?, size: Int64 = 100) -> RetentionPolicy.LocalFile {
        .init(recordingId: id, size: size, confirmedAt: daysAgo.map { now - $0 * 86_400 })
    }

    func testConfirmedFilesGoWhenTheirRetentionHasPassed() {
        let policy = RetentionPolicy(retentionDays: 7, minimumFreeBytes: 0)
        let files = [file("old", daysAgo: 8), file("recent", daysAgo: 2), file("exactly", daysAgo: 7), file("unconfirmed", daysAgo: nil)]
        XCTAssertEqual(policy.filesToRemove(files, now: now, freeBytes: 1 << 40), ["old", "exactly"])
    }

    func testLowDiskRemovesConfirmedFilesOldestFirstUntilThereIsRoom() {
        let policy = RetentionPolicy(retentionDays: 30, minimumFreeBytes: 1000)
        let files = [file("newest", daysAgo: 1, size: 400), file("oldest", daysAgo: 5, size: 300), file("middle", daysAgo: 3, size: 300),
                     file("unconfirmed", daysAgo: nil, size: 10_000)]
        XCTAssertEqual(policy.filesToRemove(files, now: now, freeBytes: 500), ["oldest", "middle"], "500 + 300 + 300 reaches 1000")
        XCTAssertEqual(policy.filesToRemove(files, now: now, freeBytes: 1000), [], "enough room: nothing goes early")
    }

    func testAFileThatIsNotConfirmedIsNeverRemoved() {
        let policy = RetentionPolicy(retentionDays: 0, minimumFreeBytes: 1 << 40)
        XCTAssertEqual(policy.filesToRemove([file("a", daysAgo: nil), file("b", daysAgo: nil)], now: now, freeBytes: 0), [])
    }
}
