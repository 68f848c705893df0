import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// roomrecd in a real Janus with two VideoRooms, the lecture room and a breakout room, each with an aiortc
/// participant of its own colour: moved into the breakout and back, the room records each room visited as a
/// recording of its own, as the room platforms record breakouts, linked by one session id.
final class BreakoutEndToEndTests: XCTestCase {
    struct RecordingList: Decodable { var recordings: [Recording] }

    static let orange = (r: 0xd0, g: 0x70, b: 0x20)
    static let teal = (r: 0x20, g: 0x90, b: 0xa0)

    /// Waits until `display` is on stage and their picture reaches the recording, then lets it record a while.
    private func recordWhile(_ display: String, isOnStageOf daemon: DaemonProcess) async throws {
        try await daemon.waitForStatus("\(display)'s picture in the recording") { status in
            guard let id = status.session?.participants.first(where: { $0.display == display })?.id else { return false }
            return status.session?.state == .joined && status.current?.status == .active
                && (status.session?.receiving.first { $0.participantId == id && $0.kind == .video }?.frames ?? 0) > 30
        }
        try await Task.sleep(for: .seconds(2.5))
    }

    /// How many sample points of the last second of `recording` show each participant's colour.
    private func colours(in recording: Recording) throws -> (orange: Int, teal: Int) {
        let last = Int(((recording.duration ?? 0) - 0.7) * 30)
        let picture = try XCTUnwrap(DecodedPicture.frames([last], of: recording.path)[last], "frame \(last) of \(recording.name)")
        var counts = (orange: 0, teal: 0)
        for y in stride(from: 0, to: picture.height, by: 20) {
            for x in stride(from: 0, to: picture.width, by: 20) {
                if picture.matches(x, y, Self.orange, tolerance: 30) { counts.orange += 1 }
                if picture.matches(x, y, Self.teal, tolerance: 30) { counts.teal += 1 }
            }
        }
        return counts
    }

    func testMovingToABreakoutAndBackRecordsEachRoomSeparately() async throws {
        guard JanusServer.isInstalled, MotoServer.isInstalled else { throw XCTSkip("janus or the test peers are not installed (make deps test-peers)") }
        let janus = try JanusServer()
        let daemon = try DaemonProcess(sections: """
            [session]
            connector = "janus"
            url = "\(janus.url.absoluteString)"
            room = 1234
            ice_addresses = ["127.0.0.1"]

            [session.breakouts]
            5678 = "Group A"
            """)
        try await daemon.start()
        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada", color: "d07020", frequency: 620)
        let student = try JanusPeer(janus: janus, room: 5678, display: "Student B", color: "2090a0", frequency: 880)
        try await teacher.waitFor("media-up")
        try await student.waitFor("media-up")
        try await daemon.waitForStatus("the teacher on stage") { $0.session?.participants.map(\.display) == ["Dr. Ada"] }

        let first = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Seminar"}"#.utf8)).decode(Recording.self)
        try await recordWhile("Dr. Ada", isOnStageOf: daemon)

        // A breakout nobody named is refused, and changes nothing.
        let unnamed = try await daemon.client.send("POST", "/v1/session/room", json: Data(#"{"room": 9999}"#.utf8))
        XCTAssertEqual(unnamed.status, 400)
        XCTAssertTrue(String(decoding: unnamed.body, as: UTF8.self).contains("[session.breakouts]"), String(decoding: unnamed.body, as: UTF8.self))

        // Into the breakout, by its number alone: the configuration names it.
        let moved = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["session", "move", "5678", "--socket", daemon.socketPath])
        XCTAssertEqual(moved.status, 0, moved.stderr)
        XCTAssertEqual(moved.stdout, "moving to breakout Group A (room 5678)\n")
        let inBreakout = try await daemon.waitForStatus("the room in the breakout") {
            // Between the two parts there is a moment with no current recording: wait for the next part itself.
            $0.session?.breakout == "Group A" && $0.session?.participants.map(\.display) == ["Student B"]
                && $0.current.map { $0.recordingId != first.recordingId } == true
        }
        XCTAssertEqual(inBreakout.session?.room, "5678")
        XCTAssertEqual(inBreakout.current?.title, "Seminar (Group A)")
        XCTAssertTrue(inBreakout.current?.name.hasSuffix(" - Seminar (Group A)") == true, "\(String(describing: inBreakout.current?.name))")
        let table = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["status", "--socket", daemon.socketPath]).stdout
        XCTAssertTrue(table.contains("janus room 5678 (breakout Group A), 1 on stage"), table)
        try await recordWhile("Student B", isOnStageOf: daemon)

        // And back: the next part is in the main room again.
        let returned = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["session", "return", "--socket", daemon.socketPath])
        XCTAssertEqual(returned.stdout, "in the main room (room 1234)\n", returned.stderr)
        let back = try await daemon.waitForStatus("the room back in the main room") {
            $0.session?.breakout == nil && $0.session?.participants.map(\.display) == ["Dr. Ada"] && $0.current?.title == "Seminar"
                && $0.current.map { $0.recordingId != first.recordingId && $0.recordingId != inBreakout.current?.recordingId } == true
        }
        XCTAssertEqual(back.session?.reconnects, 0, "moving is not reconnecting")
        try await recordWhile("Dr. Ada", isOnStageOf: daemon)
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        var all: [Recording] = []
        for _ in 0..<100 {
            all = try await daemon.client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings.sorted { $0.startDate < $1.startDate }
            if all.count == 3, all.allSatisfy({ !$0.status.isInProgress && $0.size != nil }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        XCTAssertEqual(all.count, 3, "one recording per room visited: \(all.map(\.name))")
        guard all.count == 3 else { return }
        XCTAssertEqual(all.map(\.status), [.complete, .complete, .complete])
        XCTAssertEqual(all.map(\.title), ["Seminar", "Seminar (Group A)", "Seminar"])
        XCTAssertTrue(all[1].name.hasPrefix("Rec - ") && all[1].name.hasSuffix(" - Seminar (Group A)"), all[1].name)
        XCTAssertEqual(all.map(\.reason), ["moved to breakout Group A", "returned to the main room", nil])
        let session = try XCTUnwrap(all[0].sessionId)
        XCTAssertEqual(all.map(\.sessionId), [session, session, session], "one session links them")
        for recording in all {
            let counts = try colours(in: recording)
            print("\(recording.name): \(String(format: "%.1f", recording.duration ?? 0)) s, tiles \(counts)")
            if recording.title == "Seminar" {
                XCTAssertGreaterThan(counts.orange, 50, "the teacher's tile in the main room's recording: \(counts)")
                XCTAssertLessThan(counts.teal, 5, "no breakout participant in the main room's recording: \(counts)")
            } else {
                XCTAssertGreaterThan(counts.teal, 50, "the breakout participant's tile: \(counts)")
                XCTAssertLessThan(counts.orange, 5, "the teacher stayed in the main room: \(counts)")
            }
        }
        let shown = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["recordings", "show", all[1].recordingId, "--socket", daemon.socketPath]).stdout
        XCTAssertTrue(shown.contains("Session") && shown.contains(session), shown)
        teacher.leave()
        student.leave()
        _ = try await daemon.stop()
    }
}
