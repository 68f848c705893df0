import Foundation
import Logging
import RecorderCore
import Session
import Synchronization
import TestSupport
import XCTest

/// The Janus VideoRoom connector against a real Janus on 127.0.0.1, with real WebRTC peers (aiortc) on stage.
final class JanusVideoRoomConnectorTests: XCTestCase {
    /// Collects a connector's events and keeps the roster they make.
    private final class Follower: Sendable {
        private final class Record: Sendable {
            let state = Mutex<(events: [SessionEvent], roster: SessionRoster, changes: [SessionRoster.Change])>(([], SessionRoster(), []))
            /// Frames received, by "participant/kind/codec".
            let frames = Mutex<[String: Int]>([:])
        }
        private let record = Record()
        private let task: Task<Void, Never>

        init(_ connector: JanusVideoRoomConnector) {
            let record = self.record
            task = Task {
                await connector.run(publishing: nil, report: { event in
                    record.state.withLock { state in
                        state.events.append(event)
                        state.changes += state.roster.apply(event)
                    }
                }, media: { frame in
                    record.frames.withLock { $0["\(frame.participantID)/\(frame.kind.rawValue)/\(frame.codec)", default: 0] += 1 }
                })
            }
        }

        var events: [SessionEvent] { record.state.withLock { $0.events } }
        var roster: SessionRoster { record.state.withLock { $0.roster } }
        var changes: [SessionRoster.Change] { record.state.withLock { $0.changes } }
        var frames: [String: Int] { record.frames.withLock { $0 } }

        func waitUntil(_ what: String, timeout: Double = 30, _ condition: (SessionRoster, [SessionEvent]) -> Bool) async throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let (roster, events) = record.state.withLock { ($0.roster, $0.events) }
                if condition(roster, events) { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTFail("\(what) did not happen within \(timeout) s; events: \(events)")
            throw CancellationError()
        }

        func stop() async {
            task.cancel()
            await task.value
        }
    }

    private var janus: JanusServer!

    override func setUp() async throws {
        guard JanusServer.isInstalled else { throw XCTSkip("janus is not installed (make deps installs it)") }
        guard MotoServer.isInstalled else { throw XCTSkip("the test peers are not installed (make test-peers)") }
        janus = try JanusServer()
    }

    override func tearDown() async throws { janus = nil }

    private func connector(room: UInt64 = 1234, pin: String? = nil) -> JanusVideoRoomConnector {
        var settings = JanusVideoRoomConnector.Settings(url: janus.url, room: room, pin: pin, display: "Room 101",
                                                        hosts: ["Dr. Ada"], moderators: ["TA Grace"])
        settings.retry = RetryPolicy(base: 0.2, maximum: 0.5)
        settings.iceAddresses = ["127.0.0.1"]
        return JanusVideoRoomConnector(settings: settings, logger: Logger(label: "test.session"))
    }

    func testFollowsWhoComesOnStageWhatTheySendAndWhetherTheHostIsThere() async throws {
        let room = Follower(connector())
        try await room.waitUntil("joining") { roster, _ in roster.state == .joined }
        XCTAssertEqual(room.roster.participants, [], "the room is empty")

        let student = try JanusPeer(janus: janus, display: "Student", color: "blue", frequency: 660)
        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada", color: "red", frequency: 440)
        try await student.waitFor("media-up")
        try await teacher.waitFor("media-up")
        try await room.waitUntil("both on stage") { roster, _ in roster.participants.count == 2 && roster.hostPresent }
        let ada = try XCTUnwrap(room.roster.participants.first { $0.display == "Dr. Ada" })
        XCTAssertEqual(ada.role, .host)
        XCTAssertEqual(Set(ada.tracks.map(\.kind)), [.audio, .video], "\(ada.tracks)")
        XCTAssertEqual(ada.tracks.first { $0.kind == .audio }?.codec, "opus")
        XCTAssertTrue(["h264", "vp8"].contains(ada.tracks.first { $0.kind == .video }?.codec ?? ""), "\(ada.tracks)")
        XCTAssertEqual(room.roster.participants.first { $0.display == "Student" }?.role, .participant)
        XCTAssertTrue(room.changes.contains(.hostReturned))

        // What they send arrives, still encoded, over WebRTC (webrtcbin, ICE on 127.0.0.1).
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, room.frames.filter({ $0.value >= 10 }).count < 4 { try await Task.sleep(for: .milliseconds(100)) }
        let received = room.frames
        XCTAssertEqual(received.filter { $0.value >= 10 }.count, 4, "audio and video from both: \(received)")
        XCTAssertTrue(received.keys.contains { $0.hasPrefix("\(ada.id)/audio/opus") }, "\(received)")

        teacher.leave()
        try await room.waitUntil("the host leaving") { roster, _ in !roster.hostPresent && roster.participants.count == 1 }
        XCTAssertTrue(room.changes.contains(.hostLeft))
        student.leave()
        try await room.waitUntil("the student leaving") { roster, _ in roster.participants.isEmpty }
        await room.stop()
    }

    func testJoinsAgainWhenJanusComesBackAndNamesAWrongPin() async throws {
        let room = Follower(connector())
        try await room.waitUntil("joining") { roster, _ in roster.state == .joined }
        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada")
        try await teacher.waitFor("media-up")
        try await room.waitUntil("the host on stage") { roster, _ in roster.hostPresent }

        janus.stop()
        try await room.waitUntil("noticing the drop") { roster, _ in roster.state == .reconnecting }
        XCTAssertTrue(room.roster.participants.isEmpty, "remote tiles go while the session is away")
        XCTAssertFalse(room.changes.contains(.hostLeft), "a drop is not the host leaving")
        try janus.start()
        try await room.waitUntil("joining again", timeout: 20) { roster, _ in roster.state == .joined && roster.reconnects == 1 }
        await room.stop()

        let locked = Follower(connector(room: 4321, pin: "0000"))
        try await locked.waitUntil("a refusal") { _, events in
            events.contains { if case .disconnected(let reason, _) = $0 { reason.contains("433") } else { false } }
        }
        XCTAssertNotEqual(locked.roster.state, .joined)
        await locked.stop()
        let unlocked = Follower(connector(room: 4321, pin: "1111"))
        try await unlocked.waitUntil("joining with the right PIN") { roster, _ in roster.state == .joined }
        await unlocked.stop()
    }
}
