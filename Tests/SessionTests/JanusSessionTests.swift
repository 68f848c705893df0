import Foundation
import Logging
import RecorderCore
@testable import Session
import Synchronization
import XCTest

/// The Janus session's owner, input by input, without a server: what it reports, what side work it starts, and
/// that it ignores what side work says about an attempt it has since dropped. (The side work itself is not run.)
final class JanusSessionTests: XCTestCase {
    private final class Outside: Sendable {
        let events = Mutex<[SessionEvent]>([])
        let recording = Mutex(false)
        let reception = Mutex<[TrackReception]>([])
    }

    private let outside = Outside()

    private func session() -> JanusSession {
        let (_, inbox) = AsyncStream.makeStream(of: JanusSession.Input.self)
        var settings = JanusVideoRoomConnector.Settings(url: URL(string: "http://127.0.0.1:9/janus")!, room: 1234, display: "Room 101", hosts: ["Dr. Ada"])
        settings.iceAddresses = ["127.0.0.1"]
        let join = JanusJoin(client: JanusClient(base: settings.url, token: nil), session: 1, handle: 10, settings: settings,
                             logger: Logger(label: "test.session"), inbox: inbox)
        let outside = self.outside
        return JanusSession(join: join, recording: false, publishing: nil, report: { event in outside.events.withLock { $0.append(event) } },
                            media: { _ in }, announced: { outside.recording.withLock { $0 } },
                            publishReception: { readings in outside.reception.withLock { $0 = readings } })
    }

    /// A long-poll event on the room's own handle (10) or, with `sender`, on another.
    private func event(_ json: String) throws -> JanusSession.Input {
        .events([try JSONDecoder().decode(JanusMessage.self, from: Data(json.utf8))])
    }

    private func videoroom(_ data: String, sender: UInt64 = 10) throws -> JanusSession.Input {
        try event(#"{"janus": "event", "sender": \#(sender), "plugindata": {"plugin": "janus.plugin.videoroom", "data": \#(data)}}"#)
    }

    func testFollowsWhoPublishesAndIgnoresWhatSideWorkSaysOfADroppedAttempt() throws {
        var session = session()
        let joined = try videoroom(#"""
            {"videoroom": "joined", "id": 99, "publishers": [
              {"id": 7, "display": "Dr. Ada", "streams": [{"type": "audio", "mid": "0", "codec": "opus"}, {"type": "video", "mid": "1", "codec": "vp8"}]},
              {"id": 8, "display": "Student", "streams": [{"type": "video", "mid": "0", "codec": "h264", "description": "Screen"}]}]}
            """#)
        XCTAssertEqual(try session.handle(joined).count, 2, "a handle attached for each publisher")
        XCTAssertTrue(session.joined)
        guard case .joined(let participants) = outside.events.withLock({ $0.first }) else { return XCTFail("\(outside.events.withLock { $0 })") }
        XCTAssertEqual(participants.map(\.role), [.host, .participant])
        XCTAssertEqual(participants.last?.tracks.first?.isScreen, true)

        XCTAssertEqual(try session.handle(.subscription(.attached(feed: 7, attempt: 1, handle: 70))).count, 1, "its join as a subscriber")
        XCTAssertEqual(try session.handle(.subscription(.attached(feed: 8, attempt: 5, handle: 80))).count, 1,
                       "an attempt that is not the subscription's: its handle is detached")
        XCTAssertEqual(try session.handle(.subscription(.failed(feed: 8, attempt: 5, what: "test", JanusError("late")))).count, 0,
                       "nor is a failure of it a reason to subscribe again")
        XCTAssertEqual(try session.handle(.events([])).count, 0)

        // Feed 7 leaves: it is reported gone and its handle detached; a retry for it later finds it gone.
        XCTAssertEqual(try session.handle(try videoroom(#"{"videoroom": "event", "unpublished": 7}"#)).count, 1)
        XCTAssertEqual(outside.events.withLock { $0.last }, .participantLeft(id: "7"))
        XCTAssertEqual(try session.handle(.subscription(.retry(feed: 7))).count, 0)
        // Feed 8 failed: dropped, and subscribed to again after the pause while it is still there.
        XCTAssertEqual(try session.handle(.subscription(.failed(feed: 8, attempt: 2, what: "test", JanusError("refused")))).count, 1, "the pause")
        XCTAssertEqual(try session.handle(.subscription(.retry(feed: 8))).count, 1, "a new attempt")

        XCTAssertEqual(try session.handle(try videoroom(#"{"videoroom": "talking", "id": 8}"#)).count, 0)
        XCTAssertEqual(outside.events.withLock { $0.last }, .talking(id: "8", true))
    }

    func testTheRoomsNameFollowsTheRecordingStateOneRequestAtATime() throws {
        var session = session()
        outside.recording.withLock { $0 = true }
        XCTAssertEqual(try session.handle(.recordingChanged).count, 1, "configure, with \"(recording)\"")
        outside.recording.withLock { $0 = false }
        XCTAssertEqual(try session.handle(.recordingChanged).count, 0, "not while one is on its way")
        XCTAssertEqual(try session.handle(.configured(failure: nil)).count, 1, "then the name of the state now")
        XCTAssertEqual(try session.handle(.configured(failure: JanusError("gone"))).count, 0, "a failure is not retried")
        XCTAssertEqual(try session.handle(.recordingChanged).count, 0, "the name asked last is the name wanted")
    }

    func testReadsTheReceiversOneReadingAtATimeAndPublishesIt() throws {
        var session = session()
        XCTAssertEqual(try session.handle(.readReception).count, 1)
        XCTAssertEqual(try session.handle(.readReception).count, 0, "not while one is going on")
        let reading = TrackReception(participantID: "7", kind: .audio, packetsReceived: 50, packetsLost: 1, jitter: 0.01)
        XCTAssertEqual(try session.handle(.reception([reading])).count, 0)
        XCTAssertEqual(outside.reception.withLock { $0 }, [reading])
        XCTAssertEqual(try session.handle(.readReception).count, 1)
    }

    func testWhatEndsTheSession() throws {
        for ending in [#"{"janus": "timeout"}"#] {
            var session = session()
            XCTAssertThrowsError(try session.handle(try event(ending)))
        }
        for data in [#"{"videoroom": "event", "leaving": "ok", "reason": "kicked"}"#, #"{"videoroom": "event", "kicked": "ok"}"#,
                     #"{"videoroom": "destroyed", "room": 1234}"#, #"{"videoroom": "event", "error_code": 433, "error": "Wrong PIN"}"#] {
            var session = session()
            XCTAssertThrowsError(try session.handle(try videoroom(data)), data)
        }
        var session = session()
        XCTAssertThrowsError(try session.handle(.lost(JanusError("the long poll answered HTTP 404"))))
        // A subscriber handle's hang-up or error is that subscription's, not the session's.
        XCTAssertNoThrow(try session.handle(try videoroom(#"{"videoroom": "event", "error_code": 428, "error": "No such feed"}"#, sender: 70)))
        XCTAssertNoThrow(try session.handle(try event(#"{"janus": "hangup", "sender": 70, "reason": "ICE failed"}"#)))
    }
}
