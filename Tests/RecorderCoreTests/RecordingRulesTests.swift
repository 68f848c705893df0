import Foundation
import RecorderCore
import XCTest

final class RecordingRulesTests: XCTestCase {
    private let start = ISO8601DateFormatter().date(from: "2026-11-23T13:05:09Z")!

    func testNameFollowsThePlatformPattern() {
        let name = RecordingName(startedAt: start, title: "Physics 101", timeZone: TimeZone(identifier: "Europe/Berlin")!)
        XCTAssertEqual(name.displayName, "Rec - 2026-11-23 14:05:09 - Physics 101")
        XCTAssertEqual(name.fileName, "Rec - 2026-11-23 14-05-09 - Physics 101.mp4")
    }

    func testFileNameIsSafeOnEveryFilesystem() {
        let name = RecordingName(startedAt: start, title: " A/B: \"what?\" <x>|y*\\z\u{7}. ", timeZone: TimeZone(identifier: "UTC")!)
        XCTAssertEqual(name.fileName, "Rec - 2026-11-23 13-05-09 - A_B_ _what__ _x__y__z_.mp4")
        XCTAssertEqual(name.displayName, "Rec - 2026-11-23 13:05:09 - A/B: \"what?\" <x>|y*\\z\u{7}.")
        let dotted = RecordingName(startedAt: start, title: "...", timeZone: TimeZone(identifier: "UTC")!)
        XCTAssertEqual(dotted.fileName, "Rec - 2026-11-23 13-05-09 - Recording.mp4")
    }

    func testLongTitlesAreCutOnCharacterBoundaries() {
        let name = RecordingName(startedAt: start, title: String(repeating: "é", count: 300), timeZone: TimeZone(identifier: "UTC")!)
        XCTAssertLessThanOrEqual(name.fileName.utf8.count, RecordingName.maxFileNameBytes)
        XCTAssertTrue(name.fileName.hasSuffix("é.mp4"))
    }

    func testNumberedNames() {
        XCTAssertEqual(RecordingName.numbered("Rec - x.mp4", 1), "Rec - x.mp4")
        XCTAssertEqual(RecordingName.numbered("Rec - x.mp4", 2), "Rec - x (2).mp4")
    }

    func testOwnerFollowsTheRoomType() {
        XCTAssertEqual(RoomType.channel.recordingOwner(roomOwner: "channel-owner", initiator: "teacher"), "channel-owner")
        XCTAssertEqual(RoomType.single.recordingOwner(roomOwner: "entry-owner", initiator: "teacher"), "entry-owner")
        XCTAssertEqual(RoomType.mediaGallery.recordingOwner(roomOwner: "gallery-owner", initiator: "teacher"), "gallery-owner")
        XCTAssertEqual(RoomType.mediaGallery.recordingOwner(roomOwner: nil, initiator: "teacher"), "teacher")
        XCTAssertEqual(RoomType.mediaGallery.recordingOwner(roomOwner: "", initiator: "teacher"), "teacher")
        XCTAssertNil(RoomType.channel.recordingOwner(roomOwner: nil, initiator: "teacher"))
    }

    func testRetryBacksOffExponentiallyWithFullJitterUpToTheCap() {
        let highest = RetryPolicy(base: 2, maximum: 900) { $0 }
        XCTAssertEqual(highest.delay(afterFailures: 1), 2)
        XCTAssertEqual(highest.delay(afterFailures: 2), 4)
        XCTAssertEqual(highest.delay(afterFailures: 5), 32)
        XCTAssertEqual(highest.delay(afterFailures: 20), 900)
        XCTAssertEqual(highest.delay(afterFailures: 10_000), 900)
        let lowest = RetryPolicy(base: 2, maximum: 900) { _ in 0 }
        XCTAssertEqual(lowest.delay(afterFailures: 8), 0, "full jitter reaches down to zero")
        XCTAssertEqual(lowest.delay(afterFailures: 8, retryAfter: 120), 120, "Retry-After is a floor")
        XCTAssertEqual(lowest.delay(afterFailures: 8, retryAfter: 86_400), 900, "but not above the cap")
        let real = RetryPolicy()
        let delays = (0..<200).map { _ in real.delay(afterFailures: 4) }
        XCTAssertTrue(delays.allSatisfy { (0...16).contains($0) })
        XCTAssertGreaterThan(Set(delays).count, 100, "jittered")
    }
}
