import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// roomrecd in a Janus VideoRoom (a real Janus on 127.0.0.1) with a remote teacher as a real WebRTC peer (aiortc):
/// the session shows in status and events, and the host leaving ends the recording after the grace period.
final class SessionEndToEndTests: XCTestCase {
    struct RecordingList: Decodable { var recordings: [Recording] }

    /// A real Janus, and roomrecd configured to join its room 1234 (`recording` adds keys to `[recording]`).
    private func janusAndDaemon(recording: String = "", session extra: String = "") async throws -> (JanusServer, DaemonProcess) {
        guard JanusServer.isInstalled, MotoServer.isInstalled else { throw XCTSkip("janus or the test peers are not installed (make deps test-peers)") }
        let janus = try JanusServer()
        let daemon = try DaemonProcess(recording: recording, sections: """
            [session]
            connector = "janus"
            url = "\(janus.url.absoluteString)"
            room = 1234
            ice_addresses = ["127.0.0.1"]
            \(extra)
            """)
        try await daemon.start()
        return (janus, daemon)
    }

    func testTheHostLeavingEndsTheRecordingAfterTheGraceAndTheSessionShowsInStatus() async throws {
        let (janus, daemon) = try await janusAndDaemon(recording: #"host_leave_grace = "2s""#, session: #"hosts = ["Dr. Ada"]"#)
        let client = daemon.client
        let log = EventLog(client)
        func waitFor(_ what: String, _ condition: (StatusReport) -> Bool) async throws -> StatusReport {
            try await daemon.waitForStatus(what, condition)
        }
        _ = try await waitFor("joining") { $0.session?.state == .joined }

        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada", color: "green", frequency: 440)
        try await teacher.waitFor("media-up")
        let onStage = try await waitFor("the teacher on stage") { $0.session?.hostPresent == true }
        XCTAssertEqual(onStage.session?.participants.map(\.display), ["Dr. Ada"])
        XCTAssertEqual(onStage.session?.participants.first?.role, .host)
        XCTAssertEqual(onStage.session?.room, "1234")
        let table = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["status", "--socket", daemon.socketPath]).stdout
        XCTAssertTrue(table.contains("joined, janus room 1234, 1 on stage"), table)
        XCTAssertTrue(table.contains("Dr. Ada (host): audio opus, video"), table)
        let metrics = String(decoding: try await client.send("GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("roomrec_session_joined 1"), metrics)
        XCTAssertTrue(metrics.contains("roomrec_session_host_present 1"), metrics)

        let started = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "Hybrid seminar"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(1))
        teacher.leave()
        let away = try await waitFor("the host leaving") { $0.session?.hostPresent == false }
        XCTAssertNotNil(away.session?.hostLeftAt)

        var ended: Recording?
        for _ in 0..<100 {
            let recording = try await client.send("GET", "/v1/recordings/\(started.recordingId)").decode(Recording.self)
            if !recording.status.isInProgress { ended = recording; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(ended?.status, .complete, "ending because the host left is the session's normal end")
        XCTAssertEqual(ended?.reason, "the host left and did not return within 2 s")
        let recorded = ended?.duration ?? 0
        XCTAssertGreaterThan(recorded, 2.5, "the grace was recorded")
        XCTAssertLessThan(recorded, 8)

        let messages = await log.messages
        XCTAssertTrue(messages.contains("Dr. Ada came on stage (the host)"), "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("the host left the session; the recording goes on for 2 s") }, "\(messages)")
        XCTAssertFalse(daemon.log().contains("could not tell the session"), "Janus took the recording announcement: \(daemon.log())")
        let exit = try await daemon.stop()
        XCTAssertEqual(exit, 0, daemon.log())
    }

    func testTheSessionsStartRecordsOncePerStart() async throws {
        let (janus, daemon) = try await janusAndDaemon(recording: #"host_leave_grace = "2s""#, session: """
            hosts = ["Dr. Ada"]
            auto_record = true
            """)
        let client = daemon.client
        _ = try await daemon.waitForStatus("joining") { $0.session?.state == .joined }
        let idle = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertNil(idle.current, "joined, but the session has not started: no host yet")

        // The host comes: the session starts, and with it a recording.
        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada", color: "d07020")
        let first = try await daemon.waitForStatus("the session's recording") { $0.current?.status == .active }
        XCTAssertEqual(first.current?.initiator, "session")
        // The host leaves: the recording ends after the grace, as a session's recording does.
        try await teacher.waitFor("media-up")
        try await Task.sleep(for: .seconds(1))
        teacher.leave()
        let ended = try await daemon.waitForStatus("the end after the grace") { $0.current == nil }
        XCTAssertNil(ended.current)
        let afterFirst = try await client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings
        XCTAssertEqual(afterFirst.map(\.status), [.complete], "\(afterFirst)")

        // The host comes back: a new start, a new recording; stopped by hand, it is not started again while the
        // host stays.
        let back = try JanusPeer(janus: janus, display: "Dr. Ada", color: "d07020")
        let second = try await daemon.waitForStatus("the second start") { $0.current?.status == .active }
        let secondID = try XCTUnwrap(second.current?.recordingId)
        XCTAssertNotEqual(secondID, afterFirst.first?.recordingId)
        _ = try await daemon.stopAndWaitUntilFiled(secondID)
        try await back.waitFor("media-up")
        try await Task.sleep(for: .seconds(2))
        let stillStopped = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertNil(stillStopped.current, "a recording stopped by hand stays stopped while the host stays")
        let all = try await client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings
        XCTAssertEqual(all.count, 2, "\(all)")
        back.leave()
        _ = try await daemon.stop()
    }

    func testTheParticipantsSendingIsRecordedInTheirTiles() async throws {
        let (janus, daemon) = try await janusAndDaemon(recording: #"layout = "grid""#, session: #"hosts = ["Dr. Ada"]"#)
        let client = daemon.client
        // Colours the synthetic room camera's pattern does not have.
        let orange = (r: 0xd0, g: 0x70, b: 0x20)
        let teal = (r: 0x20, g: 0x90, b: 0xa0)
        // Tones the synthetic room microphone (440 Hz, beeps at 1 kHz) does not have.
        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada", color: "d07020", frequency: 620)
        let student = try JanusPeer(janus: janus, display: "Student", color: "2090a0", frequency: 780)
        try await teacher.waitFor("media-up")
        try await student.waitFor("media-up")
        try await daemon.waitForStatus("both on stage") { $0.session?.participants.count == 2 }

        let started = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "Hybrid seminar"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(4))
        // The transport's numbers are read every 2 s: wait for them (a loaded machine may be late).
        let status = try await daemon.waitForStatus("the transport's numbers") { report in
            let tracks = report.session?.receiving ?? []
            return tracks.count == 4 && tracks.allSatisfy { $0.packetsLost != nil }
        }
        XCTAssertEqual(status.pipeline?.layout, "grid")
        let receiving = status.session?.receiving ?? []
        XCTAssertEqual(receiving.count, 4, "audio and video from each: \(receiving)")
        for track in receiving {
            XCTAssertGreaterThan(track.kbps, 0, "\(track)")
            XCTAssertGreaterThan(track.frames, 20, "\(track)")
            XCTAssertLessThan(track.silentSeconds, 1, "\(track)")
            XCTAssertNotNil(track.packetsLost, "the transport's numbers: \(track)")
            XCTAssertLessThan(track.lossPercent ?? 100, 5, "on loopback: \(track)")
        }
        // The student leaves: where the recording is then, in its own time (seconds since its first frame).
        let elapsed = { () async throws -> Double in
            let status = try await client.send("GET", "/v1/status").decode(StatusReport.self)
            return try XCTUnwrap(status.elapsedSeconds)
        }
        let beforeLeaving = try await elapsed()
        student.leave()
        let afterLeaving = try await elapsed()
        try await Task.sleep(for: .seconds(2))
        let recording = try await daemon.stopAndWaitUntilFiled(started.recordingId)
        XCTAssertEqual(recording.status, .complete)

        // Three tiles while both are there: the room, the teacher in orange, the student in teal.
        func tiles(at seconds: Double) throws -> (orange: Int, teal: Int) {
            let index = Int(seconds * 30)
            let picture = try XCTUnwrap(DecodedPicture.frames([index], of: recording.path)[index])
            var counts = (orange: 0, teal: 0)
            for y in stride(from: 0, to: picture.height, by: 20) {
                for x in stride(from: 0, to: picture.width, by: 20) {
                    if picture.matches(x, y, orange, tolerance: 30) { counts.orange += 1 }
                    if picture.matches(x, y, teal, tolerance: 30) { counts.teal += 1 }
                }
            }
            return counts
        }
        // A tile of a three-source grid is about a quarter of the canvas: 1300 of the 5184 points looked at.
        let both = try tiles(at: 2.5)
        XCTAssertGreaterThan(both.orange, 500, "the teacher's tile")
        XCTAssertGreaterThan(both.teal, 500, "the student's tile")
        XCTAssertGreaterThan(try tiles(at: beforeLeaving - 0.2).teal, 500, "the student's tile until they leave")
        // Within a second of leaving, the layout is the room and the teacher: the student's tile is gone.
        let after = try tiles(at: afterLeaving + 1)
        // (The room's test pattern has a few teal-like points of its own; a tile would be hundreds.)
        XCTAssertLessThan(after.teal, 20, "the student's tile is gone within a second")
        XCTAssertGreaterThan(after.orange, 1000, "the teacher's tile, larger in a two-source grid")

        // Their voices are in the mix while they are there: the power at each one's tone stands far above a
        // frequency nobody sends; the student's is gone once they left.
        func power(of tones: [Double], from start: Double, seconds: Double) throws -> [Double] {
            let audio = try ProcessRunner.runData("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-ss", "\(start)", "-t", "\(seconds)", "-i", recording.path,
                                                                       "-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"])
            let samples = audio.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return tones.map { hz in
                let coefficient = 2 * cos(2 * Double.pi * hz / 48_000)
                var (previous, beforePrevious) = (0.0, 0.0)
                for sample in samples {
                    (beforePrevious, previous) = (previous, Double(sample) + coefficient * previous - beforePrevious)
                }
                return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
            }
        }
        let present = try power(of: [530, 620, 780], from: 1.5, seconds: 2)
        XCTAssertGreaterThan(present[1], 100 * present[0], "the teacher's voice (620 Hz)")
        XCTAssertGreaterThan(present[2], 100 * present[0], "the student's voice (780 Hz)")
        let gone = try power(of: [530, 620, 780], from: afterLeaving + 0.5, seconds: 1)
        XCTAssertGreaterThan(gone[1], 100 * gone[0], "the teacher's voice goes on")
        XCTAssertLessThan(gone[2], 10 * gone[0], "the student's voice left with them")
        teacher.leave()
        _ = try await daemon.stop()
    }

    func testTheRoomIsPublishedIntoTheSessionAndFollowsItsBandwidthEstimate() async throws {
        let (janus, daemon) = try await janusAndDaemon(session: #"display = "Room 101""#)
        _ = try await daemon.waitForStatus("joining") { $0.session?.state == .joined }
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Hybrid seminar"}"#.utf8)).decode(Recording.self)
        // A remote student watches the room: the synthetic stage (a moving test pattern that flashes white once a
        // second, a 440 Hz tone with a 1 kHz beep each second) must reach them, decoded by another WebRTC stack,
        // with the room's word on its data channel that it records.
        let seen = try JanusWatcher.watch(janus: janus, display: "Room 101", seconds: 5, tones: [440, 1000])
        print("the watcher saw: \(seen)")
        assertTheWatcherSawTheSyntheticRoom(seen)
        XCTAssertEqual(seen.messages, [#"{"display":"Room 101","recording":true,"type":"recording"}"#], "\(seen)")

        // Janus's room has a 512 kbit/s cap, which it sends as REMB: the publication follows it.
        let status = try await daemon.waitForStatus("the estimate") { $0.session?.publishing?.estimateKbps != nil }
        let publishing = try XCTUnwrap(status.session?.publishing)
        XCTAssertEqual(publishing.resolution, "1280x720")
        XCTAssertEqual(publishing.estimateKbps, 512, "\(publishing)")
        XCTAssertEqual(publishing.videoTargetKbps, 460, "90 % of the estimate: \(publishing)")
        XCTAssertGreaterThanOrEqual(publishing.keyframeRequests, 1, "the new viewer asked for a keyframe: \(publishing)")
        let settled = try await daemon.waitForStatus("the rate to settle") { ($0.session?.publishing?.videoKbps ?? 0) > 0 }
        XCTAssertLessThan(settled.session?.publishing?.videoKbps ?? 0, 700, "\(String(describing: settled.session?.publishing))")
        print("the room published: \(String(describing: settled.session?.publishing))")
        let table = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["status", "--socket", daemon.socketPath]).stdout
        XCTAssertTrue(table.contains("publishing 1280x720"), table)

        // The stop is announced too.
        _ = try await daemon.stopAndWaitUntilFiled(started.recordingId)
        let after = try JanusWatcher.watch(janus: janus, display: "Room 101", seconds: 2.5, tones: [440])
        XCTAssertEqual(after.messages, [#"{"display":"Room 101","recording":false,"type":"recording"}"#], "\(after)")
        _ = try await daemon.stop()
    }

    func testAScreenSharedInTheSessionIsTheRecordingsContent() async throws {
        let (janus, daemon) = try await janusAndDaemon(recording: #"layout = "auto""#)
        let orange = (r: 0xd0, g: 0x70, b: 0x20)
        let violet = (r: 0x70, g: 0x30, b: 0xc0)
        // The teacher's camera, and their screen shared as janus.js shares one: a connection of its own whose
        // picture is described as a screen.
        let teacher = try JanusPeer(janus: janus, display: "Dr. Ada", color: "d07020", frequency: 620)
        let screen = try JanusPeer(janus: janus, display: "Dr. Ada (screen)", color: "7030c0", frequency: 0, screen: true)
        try await teacher.waitFor("media-up")
        try await screen.waitFor("media-up")
        let onStage = try await daemon.waitForStatus("the teacher's screen") { $0.session?.participants.count == 2 }
        XCTAssertEqual(onStage.session?.participants.filter(\.isScreenOnly).map(\.display), ["Dr. Ada (screen)"])

        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Lecture"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(3))
        let status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(status.pipeline?.layout, "content_beside", "auto: content first")
        let recording = try await daemon.stopAndWaitUntilFiled(started.recordingId)
        XCTAssertEqual(recording.status, .complete)

        // The screen is the large content tile; the teacher's camera and the room are beside it.
        let picture = try XCTUnwrap(DecodedPicture.frames([75], of: recording.path)[75])
        var counts = (orange: 0, violet: 0)
        for y in stride(from: 0, to: picture.height, by: 20) {
            for x in stride(from: 0, to: picture.width, by: 20) {
                if picture.matches(x, y, orange, tolerance: 30) { counts.orange += 1 }
                if picture.matches(x, y, violet, tolerance: 30) { counts.violet += 1 }
            }
        }
        XCTAssertGreaterThan(counts.violet, 2000, "the shared screen is content, most of the canvas (of 5184 points): \(counts)")
        XCTAssertGreaterThan(counts.orange, 50, "the teacher's camera still has its tile: \(counts)")
        XCTAssertLessThan(counts.orange, counts.violet / 3, "the camera's tile is the smaller one: \(counts)")
        teacher.leave()
        screen.leave()
        _ = try await daemon.stop()
    }

    func testASessionOutageNeitherStopsNorSplitsTheRecording() async throws {
        let (janus, daemon) = try await janusAndDaemon()
        let client = daemon.client
        func waitFor(_ what: String, _ condition: (StatusReport) -> Bool) async throws {
            try await daemon.waitForStatus(what, condition)
        }
        let first = try JanusPeer(janus: janus, display: "Student", color: "2090a0")
        try await first.waitFor("media-up")
        try await waitFor("the student on stage") { $0.session?.participants.count == 1 }
        let started = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "Seminar"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(1))

        janus.stop()
        try await waitFor("the drop") { $0.session?.state == .reconnecting && $0.session?.participants.isEmpty == true }
        try await Task.sleep(for: .seconds(1.5))
        var during = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(during.current?.recordingId, started.recordingId, "the same recording goes on")
        XCTAssertEqual(during.current?.status, .active)
        XCTAssertNotNil(during.session?.lastError)

        try janus.start()
        let restarted = Date()
        try await waitFor("the room back on stage") { $0.session?.state == .joined }
        let back = Date().timeIntervalSince(restarted)
        print("back on stage \(String(format: "%.1f", back)) s after Janus was up again")
        XCTAssertLessThan(back, 10, "the back-off brings the room back on stage within 10 s of the server")
        let second = try JanusPeer(janus: janus, display: "Student", color: "2090a0")
        try await second.waitFor("media-up")
        try await waitFor("the room and the student back") { $0.session?.state == .joined && $0.session?.participants.count == 1 }
        during = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(during.session?.reconnects, 1)
        XCTAssertEqual(during.current?.recordingId, started.recordingId)

        let recording = try await daemon.stopAndWaitUntilFiled(started.recordingId)
        XCTAssertEqual(recording.status, .complete)
        let all = try await client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings
        XCTAssertEqual(all.count, 1, "one recording, not parts")
        first.leave()
        second.leave()
        _ = try await daemon.stop()
    }
}
