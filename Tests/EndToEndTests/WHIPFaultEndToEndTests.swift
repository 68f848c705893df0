import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// What WHIP endpoints other than simple-whip-server answer (RFC 9725, and LiveKit, Cloudflare or a load balancer in
/// front of an ingress): a redirect that turns POST into GET, a refused offer as an RFC 9457 problem, 503 with
/// `Retry-After`, 307 to another host name with a relative path, and STUN and TURN servers in `Link` headers. They
/// come from `Tests/Peers/whip_fault_proxy.py` in front of the real simple-whip-server and Janus, written from the
/// RFC, so the room still publishes for real once the faults are cleared.
final class WHIPFaultEndToEndTests: XCTestCase {
    static let token = "room101-s3cret"

    /// The daemon's status once `condition` holds; a failure has the proxy's log too.
    @discardableResult
    private func waitForStatus(_ daemon: DaemonProcess, _ proxy: WHIPFaultProxy, _ what: String, _ condition: (StatusReport) -> Bool) async throws -> StatusReport {
        try await daemon.waitForStatus(what, otherLogs: { "\nthe proxy's log:\n" + proxy.log() }, condition)
    }

    func testRedirectsRefusalsRetryAfterAndLinkServersAreHandledAsTheRFCSays() async throws {
        guard JanusServer.isInstalled, MotoServer.isInstalled else { throw XCTSkip("janus or the test peers are not installed (make deps test-peers)") }
        guard WHIPServer.isInstalled else { throw XCTSkip(WHIPServer.notInstalled) }
        let janus = try JanusServer()
        let whip = try WHIPServer(janus: janus)
        try whip.createEndpoint(id: "room101", room: 1234, token: Self.token, label: "Room 101")
        let proxy = try WHIPFaultProxy(upstream: whip)
        // Every offer is answered 301 until the faults change: a server asking to turn the POST into a GET.
        try proxy.setFaults(#"{"moved_permanently": {"status": 301, "count": -1}}"#)
        let folder = try TemporaryDirectory(prefix: "whip-token")
        let tokenFile = "\(folder.path)/whip.token"
        FileManager.default.createFile(atPath: tokenFile, contents: Data(Self.token.utf8), attributes: [.posixPermissions: 0o600])
        let daemon = try DaemonProcess(sections: """
            [session]
            connector = "whip"
            url = "\(proxy.endpointURL(id: "room101").absoluteString)"
            token_file = "\(tokenFile)"
            ice_addresses = ["127.0.0.1"]
            """)
        try await daemon.start()

        var status = try await waitForStatus(daemon, proxy, "the 301") { $0.session?.lastError?.contains("redirects with 301") == true }
        XCTAssertTrue(status.session?.lastError?.contains("which turns the offer into a GET; set [session] url to where it points") == true,
                      "\(String(describing: status.session?.lastError))")

        // A refused offer, as an RFC 9457 problem: its title and detail are quoted.
        try proxy.setFaults(#"{"moved_permanently": null, "problem": {"status": 422, "title": "Unsupported offer", "detail": "at most one audio and one video track", "count": -1}}"#)
        status = try await waitForStatus(daemon, proxy, "the refused offer") { $0.session?.lastError?.contains("(422)") == true }
        XCTAssertTrue(status.session?.lastError?.hasSuffix("refused the room's offer: Unsupported offer: at most one audio and one video track (422)") == true,
                      "\(String(describing: status.session?.lastError))")

        // Busy, come back in 3 s: the offers are at least that far apart.
        try proxy.setFaults(#"{"problem": null, "busy": {"status": 503, "retry_after": "3", "count": -1}}"#)
        var busyAt: [Date] = []
        let deadline = Date().addingTimeInterval(20)
        while busyAt.count < 3 && Date() < deadline {
            let busy = try proxy.requests().filter { $0.status == 503 }.count
            if busy > busyAt.count { busyAt += Array(repeating: Date(), count: busy - busyAt.count) }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(busyAt.count, 3, "three busy answers in 20 s")
        for (earlier, later) in zip(busyAt, busyAt.dropFirst()) {
            XCTAssertGreaterThan(later.timeIntervalSince(earlier), 2.8, "Retry-After: 3 is a floor under the back-off")
        }
        status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertTrue(status.session?.lastError?.contains("is busy (503 Too busy for another publisher, try again later)") == true, "\(String(describing: status.session?.lastError))")

        // A 307 to another host name, and ICE servers in Link headers: the offer goes on with its token, and the room publishes.
        try proxy.setFaults(#"{"busy": null, "redirect": {"status": 307, "count": -1}, "links": "separate"}"#)
        try proxy.forgetRequests()
        try await waitForStatus(daemon, proxy, "publishing through the redirect") { $0.session?.state == .joined }
        let posts = try proxy.requests().filter { $0.method == "POST" }
        XCTAssertEqual(posts.map(\.status), [307, 201], "\(posts)")
        XCTAssertEqual(posts.last?.host, "localhost:\(proxy.port)", "the offer went where the redirect pointed")
        XCTAssertEqual(posts.map(\.authorization), ["Bearer \(Self.token)", "Bearer \(Self.token)"], "the token went along to the other host")
        XCTAssertTrue(try whip.isPublishing(id: "room101"))

        // The next offer gathers with the servers the Link headers named: the STUN server is asked, and the TURN
        // server gets the credentials intact through the header's quoting and webrtcbin's URI.
        whip.stop()
        try await waitForStatus(daemon, proxy, "the drop") { $0.session?.state == .reconnecting }
        try whip.start()
        try whip.createEndpoint(id: "room101", room: 1234, token: Self.token, label: "Room 101")
        try await waitForStatus(daemon, proxy, "publishing again") { $0.session?.state == .joined }
        let stun = try proxy.stun()
        print("the Link servers were asked: \(stun.bindings) STUN bindings, TURN allocations \(stun.allocations.map { "\($0.username) \($0.integrity)" })")
        XCTAssertGreaterThan(stun.bindings, 0, "the STUN server of the Link header")
        XCTAssertTrue(stun.allocations.contains { $0.username == WHIPFaultProxy.turnUsername && $0.integrity }, "the TURN credentials, intact: \(stun.allocations)")

        // Stopping DELETEs the resource at the URL the Location named, relative to the host that answered.
        _ = try await daemon.stop()
        let delete = try proxy.requests().last { $0.method == "DELETE" }
        XCTAssertEqual(delete?.host, "localhost:\(proxy.port)")
        XCTAssertEqual(delete?.status, 200)
        XCTAssertFalse(try whip.isPublishing(id: "room101"))
        withExtendedLifetime((janus, folder)) {}
    }
}
