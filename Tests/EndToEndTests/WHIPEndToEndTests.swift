import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// roomrecd publishing through WHIP (RFC 9725) into Debian's simple-whip-server, which puts the room into a real
/// Janus's VideoRoom, where an aiortc watcher receives it: what a LiveKit or OpenVidu ingress does with the room,
/// with the real parts there are here. Each refusal names what to fix; the server restarting brings the room
/// back within seconds without splitting the recording.
final class WHIPEndToEndTests: XCTestCase {
    struct RecordingList: Decodable { var recordings: [Recording] }

    static let token = "room101-s3cret"

    /// A Janus, simple-whip-server in front of it, and roomrecd configured to publish to endpoint `id` with the
    /// token in a file of its own (`token`: what the file holds).
    private func servers(endpoint id: String, token: String = token) async throws -> (JanusServer, WHIPServer, DaemonProcess, tokenFile: String) {
        guard JanusServer.isInstalled, MotoServer.isInstalled else { throw XCTSkip("janus or the test peers are not installed (make deps test-peers)") }
        guard WHIPServer.isInstalled else { throw XCTSkip(WHIPServer.notInstalled) }
        let janus = try JanusServer()
        let whip = try WHIPServer(janus: janus)
        let folder = try TemporaryDirectory(prefix: "whip-token")
        let tokenFile = "\(folder.path)/whip.token"
        try writeToken(token, to: tokenFile)
        let daemon = try DaemonProcess(sections: """
            [session]
            connector = "whip"
            url = "\(whip.endpointURL(id: id).absoluteString)"
            token_file = "\(tokenFile)"
            ice_addresses = ["127.0.0.1"]
            """)
        try await daemon.start()
        addTeardownBlock { _ = folder }
        return (janus, whip, daemon, tokenFile)
    }

    private func writeToken(_ token: String, to path: String) throws {
        FileManager.default.createFile(atPath: path, contents: Data("\(token)\n".utf8), attributes: [.posixPermissions: 0o600])
    }

    /// The daemon's status once `condition` holds; a failure has simple-whip-server's log too.
    @discardableResult
    private func waitForStatus(_ daemon: DaemonProcess, _ whip: WHIPServer, _ what: String, _ condition: (StatusReport) -> Bool) async throws -> StatusReport {
        try await daemon.waitForStatus(what, otherLogs: { "\nsimple-whip-server's log:\n" + whip.log() }, condition)
    }

    func testTheRoomPublishesThroughWHIPAndEachRefusalNamesWhatToFix() async throws {
        // The endpoint does not exist yet: the URL is what to fix.
        let (janus, whip, daemon, tokenFile) = try await servers(endpoint: "room101", token: "an-old-token")
        let url = whip.endpointURL(id: "room101").absoluteString
        var status = try await waitForStatus(daemon, whip, "the missing endpoint") { $0.session?.lastError?.contains("no WHIP endpoint at") == true }
        XCTAssertEqual(status.session?.connector, "whip")
        XCTAssertTrue(status.session?.lastError?.contains("no WHIP endpoint at \(url) (404 Invalid endpoint ID)") == true, "\(String(describing: status.session))")

        // It exists, but the file holds another token: the file is what to fix.
        try whip.createEndpoint(id: "room101", room: 1234, token: Self.token, label: "Room 101")
        status = try await waitForStatus(daemon, whip, "the refused token") { $0.session?.lastError?.contains("(403") == true }
        XCTAssertTrue(status.session?.lastError?.hasSuffix("refused the room (403 Unauthorized); check the token in \(tokenFile)") == true, "\(String(describing: status.session))")

        // The token is put right, without a restart: the next attempt reads it.
        try writeToken(Self.token, to: tokenFile)
        status = try await waitForStatus(daemon, whip, "publishing") { $0.session?.state == .joined }
        XCTAssertEqual(status.session?.room, "http://127.0.0.1:\(whip.port)/…", "status shows the endpoint's server, not its path")
        XCTAssertEqual(status.session?.participants, [], "WHIP sends no participants back")
        XCTAssertTrue(try whip.isPublishing(id: "room101"))

        _ = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Hybrid seminar"}"#.utf8)).decode(Recording.self)
        // A remote student in Janus's room watches the room: the synthetic stage (a moving pattern that flashes
        // white once a second, a 440 Hz tone with a 1 kHz beep each second) reaches them.
        let seen = try JanusWatcher.watch(janus: janus, display: "Room 101", seconds: 5, tones: [440, 1000])
        print("the watcher saw: \(seen)")
        assertTheWatcherSawTheSyntheticRoom(seen)
        XCTAssertEqual(seen.messages, [], "no data channel on a WHIP publication")

        // Janus's room has a 512 kbit/s cap, which reaches the room as REMB through the endpoint's connection.
        let publishing = try await waitForStatus(daemon, whip, "the publication's rate and estimate") {
            ($0.session?.publishing?.videoKbps ?? 0) > 0 && $0.session?.publishing?.estimateKbps != nil
        }.session?.publishing
        XCTAssertEqual(publishing?.resolution, "1280x720")
        XCTAssertEqual(publishing?.estimateKbps, 512, "\(String(describing: publishing))")
        XCTAssertEqual(publishing?.videoTargetKbps, 460, "90 % of the estimate: \(String(describing: publishing))")
        XCTAssertGreaterThanOrEqual(publishing?.keyframeRequests ?? 0, 1, "the new viewer's keyframe request came through the endpoint: \(String(describing: publishing))")
        let table = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["status", "--socket", daemon.socketPath]).stdout
        XCTAssertTrue(table.contains("publishing 1280x720"), table)
        XCTAssertTrue(table.contains("whip"), table)

        // Stopping the daemon ends the publication on the endpoint (DELETE), not when Janus times it out.
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        _ = try await daemon.stop()
        XCTAssertFalse(try whip.isPublishing(id: "room101"), "the resource was deleted on the way out")
    }

    func testAnOfferTheEndpointRefusesQuotesItsReason() async throws {
        let (janus, whip, daemon, _) = try await servers(endpoint: "nowhere")
        // The endpoint publishes into a VideoRoom Janus does not have: Janus's reason comes back through the server.
        try whip.createEndpoint(id: "nowhere", room: 9999, token: Self.token, label: "Room 101")
        let status = try await waitForStatus(daemon, whip, "the refusal") { $0.session?.lastError?.contains("refused the room's offer") == true }
        let error = try XCTUnwrap(status.session?.lastError)
        print("the refusal: \(error)")
        XCTAssertTrue(error.contains("refused the room's offer: No such room (9999) (500)"), error)
        _ = try await daemon.stop()
        withExtendedLifetime(janus) {}
    }

    func testTheWHIPServerRestartingBringsTheRoomBackWithoutSplittingTheRecording() async throws {
        let (janus, whip, daemon, _) = try await servers(endpoint: "room101")
        try whip.createEndpoint(id: "room101", room: 1234, token: Self.token, label: "Room 101")
        try await waitForStatus(daemon, whip, "publishing") { $0.session?.state == .joined }
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Seminar"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(1))

        whip.stop()
        let stopped = Date()
        try await waitForStatus(daemon, whip, "the drop") { $0.session?.state == .reconnecting }
        print("the drop was noticed \(String(format: "%.1f", Date().timeIntervalSince(stopped))) s after the WHIP server stopped")
        try whip.start()
        try whip.createEndpoint(id: "room101", room: 1234, token: Self.token, label: "Room 101")
        let restarted = Date()
        try await waitForStatus(daemon, whip, "the room publishing again") { $0.session?.state == .joined }
        let back = Date().timeIntervalSince(restarted)
        print("publishing again \(String(format: "%.1f", back)) s after the WHIP server was up again")
        XCTAssertLessThan(back, 10, "the room publishes again within 10 s of the server")
        let seen = try JanusWatcher.watch(janus: janus, display: "Room 101", seconds: 3, tones: [440])
        XCTAssertGreaterThan(seen.videoFrames, 50, "the room's picture reaches the session again: \(seen)")

        let during = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(during.current?.recordingId, started.recordingId, "the same recording goes on")
        XCTAssertEqual(during.session?.reconnects, 1)
        let recording = try await daemon.stopAndWaitUntilFiled(started.recordingId)
        XCTAssertEqual(recording.status, .complete)
        let all = try await daemon.client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings
        XCTAssertEqual(all.count, 1, "one recording, not parts")
        _ = try await daemon.stop()
    }
}
