import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// Kaltura's schedule as a source: the room is a schedule resource; a class linked to it is recorded under its
/// summary and delivered with its template entry's owner, co-editors and categories; a class of another room is
/// not recorded. Against `Tests/Peers/kaltura_server.py`, which follows Kaltura's schedule plugin.
final class KalturaScheduleEndToEndTests: XCTestCase {
    func testAClassOfTheRoomsResourceIsRecordedForItsTemplatesOwnerAndAnotherRoomsIsNot() async throws {
        let server = try KalturaServer()
        let start = Int(Date().timeIntervalSince1970) + 6
        try server.seed("""
            {"categories": {"79": "PHYS 101"},
             "entries": [{"id": "0_tmpl101", "name": "PHYS 101 template", "userId": "prof.smith", "entitledUsersEdit": "ta.jones,ta.lee",
                          "categoriesIds": [79]}],
             "resources": [{"id": 401, "objectType": "KalturaLocationScheduleResource", "name": "Room A-101", "systemName": "room-a-101"},
                           {"id": 501, "objectType": "KalturaLocationScheduleResource", "name": "Room B-202", "systemName": "room-b-202"}],
             "events": [{"id": 7100, "summary": "PHYS 101 Lecture", "startDate": \(start), "endDate": \(start + 6),
                         "templateEntryId": "0_tmpl101", "resourceIds": [401]},
                        {"id": 7200, "summary": "Another room's class", "startDate": \(start - 3), "endDate": \(start + 20), "resourceIds": [501]},
                        {"id": 7300, "summary": "PHYS 101 Tutorial", "startDate": \(start + 3600), "endDate": \(start + 7200), "resourceIds": [401]}]}
            """)
        let root = try TemporaryDirectory(prefix: "rrks")
        let daemon = try DaemonProcess(library: try server.librarySection(root: root), sections: """
            [schedule]
            calendar_poll_seconds = 1
            [schedule.kaltura]
            resource_id = "401"
            """)
        try await daemon.start()

        var upcoming: [UpcomingRecording] = []
        for _ in 0..<50 where upcoming.isEmpty {
            upcoming = try await daemon.client.send("GET", "/v1/schedule/upcoming").decode(UpcomingList.self).recordings
            if upcoming.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertEqual(upcoming.map(\.title), ["PHYS 101 Lecture", "PHYS 101 Tutorial"], "the other room's class is not this room's; \(daemon.log())")
        XCTAssertEqual(upcoming.first?.source, "kaltura:7100")

        let found = try await daemon.waitForRecording(attempts: 120)
        let recording = try XCTUnwrap(found, daemon.log())
        XCTAssertTrue(recording.name.hasSuffix(" - PHYS 101 Lecture"), recording.name)
        XCTAssertEqual(recording.owner, "prof.smith", "the template entry's owner, not the room type's rule")
        XCTAssertEqual(recording.startDate.timeIntervalSince1970, Double(start), accuracy: 1, "started on time")

        _ = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        let state = try server.state()
        let entry = try XCTUnwrap(state.entries.first { $0.referenceId == recording.recordingId }, "\(state.entries)")
        XCTAssertEqual(entry.userId, "prof.smith")
        XCTAssertEqual(entry.entitledUsersEdit, "ta.jones,ta.lee", "the template's co-editors")
        XCTAssertEqual(entry.templateEntryId, "0_tmpl101")
        XCTAssertEqual(Set(state.categoryEntries.filter { $0.entryId == entry.id }.map(\.categoryId)), [77, 79],
                       "the template's category and the room's Recordings category")
        XCTAssertEqual(state.entries.filter { $0.name.contains("Another room") }.count, 0)

        // Kaltura goes away, then the daemon restarts: the copy on disk keeps the next class planned.
        server.stop()
        _ = try await daemon.stop()
        try await daemon.start()
        var kept: [UpcomingRecording] = []
        for _ in 0..<50 where kept.isEmpty {
            kept = try await daemon.client.send("GET", "/v1/schedule/upcoming").decode(UpcomingList.self).recordings
            if kept.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertEqual(kept.map(\.title), ["PHYS 101 Tutorial"], daemon.log())
        try await daemon.stop()
    }
}
