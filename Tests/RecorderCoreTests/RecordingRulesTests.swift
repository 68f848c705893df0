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

    func testRetryBacksOffExponentiallyUpToTheCap() {
        let policy = RetryPolicy(base: 5, maximum: 600)
        XCTAssertEqual(policy.delay(afterFailures: 1), 5)
        XCTAssertEqual(policy.delay(afterFailures: 2), 10)
        XCTAssertEqual(policy.delay(afterFailures: 4), 40)
        XCTAssertEqual(policy.delay(afterFailures: 20), 600)
        XCTAssertEqual(policy.delay(afterFailures: 1000), 600)
    }
}
