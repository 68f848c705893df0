import Foundation
import RecorderCore
import XCTest

/// The pure parts of WHIP publishing: the ICE servers of `Link` headers (RFC 9725 §4.6) as webrtcbin takes them,
/// the endpoint's answers turned into messages a person can act on, and `Retry-After` in both its forms.
final class WHIPTests: XCTestCase {
    func testLinkFieldsGiveTheICEServersInEitherStyle() {
        let separate = [
            #"<stun:stun.example.net>; rel="ice-server""#,
            #"<turn:turn.example.net?transport=udp>; rel="ice-server"; username="user"; credential="pa/ss+w=rd"; credential-type="password""#,
        ]
        let joined = [separate.joined(separator: ", ")]
        let expected = [
            WHIPIceServer(uri: "stun:stun.example.net"),
            WHIPIceServer(uri: "turn:turn.example.net?transport=udp", username: "user", credential: "pa/ss+w=rd"),
        ]
        XCTAssertEqual(WHIPIceServer.fromLinkFields(separate), expected)
        XCTAssertEqual(WHIPIceServer.fromLinkFields(joined), expected)
        XCTAssertEqual(expected.map(\.webrtcbinURI), ["stun://stun.example.net:3478", "turn://user:pa%2Fss%2Bw%3Drd@turn.example.net:3478?transport=udp"])
    }

    func testLinksThatAreNotICEServersAreSkipped() {
        let fields = [
            #"<urn:ietf:params:whip:ext:example:server-sent-events>; rel="urn:ietf:params:whip:ext:example:server-sent-events""#,
            #"<turn:turn.example.net>; rel="ice-server"; username="u"; credential="c"; credential-type="oauth""#,
            #"<https://example.net/a,b>; rel="ice-server""#,
            #"<turns:turn.example.net:443?transport=tcp>; rel="ice-server"; username="u;1"; credential="c,2""#,
        ]
        let servers = WHIPIceServer.fromLinkFields(fields)
        XCTAssertEqual(servers, [WHIPIceServer(uri: "turns:turn.example.net:443?transport=tcp", username: "u;1", credential: "c,2")])
        XCTAssertEqual(servers.first?.webrtcbinURI, "turns://u%3B1:c%2C2@turn.example.net:443?transport=tcp")
        XCTAssertNil(WHIPIceServer(uri: "turn:turn.example.net").webrtcbinURI, "webrtcbin takes no TURN server without credentials")
    }

    func testEachAnswerPointsAtWhatToFix() {
        let url = URL(string: "http://127.0.0.1:7080/whip/endpoint/room101")!
        func failure(_ status: Int, _ body: String, retryAfter: String? = nil, token: String? = "/etc/roomrec/whip.token") -> WHIPFailure {
            WHIPFailure.answer(status: status, body: Data(body.utf8), retryAfter: retryAfter, url: url, tokenFile: token,
                               now: Date(timeIntervalSince1970: 784_111_777))
        }
        let forbidden = failure(403, "Unauthorized")
        XCTAssertEqual(forbidden.kind, .token)
        XCTAssertEqual(forbidden.description, "the WHIP endpoint \(url) refused the room (403 Unauthorized); check the token in /etc/roomrec/whip.token")
        XCTAssertEqual(failure(401, "").description, "the WHIP endpoint \(url) refused the token in /etc/roomrec/whip.token (401)")
        XCTAssertTrue(failure(401, "", token: nil).description.contains("refused no token (set [session] token_file)"))
        XCTAssertTrue(failure(403, "Endpoint ID already in use").description.contains("refused the room (403 Endpoint ID already in use); check the token"))
        let missing = failure(404, "Invalid endpoint ID")
        XCTAssertEqual(missing.kind, .notFound)
        XCTAssertTrue(missing.description.hasPrefix("no WHIP endpoint at \(url) (404 Invalid endpoint ID); check [session] url"), missing.description)
        let problem = failure(422, #"{"type":"about:blank","title":"Unprocessable","detail":"two video tracks"}"#)
        XCTAssertEqual(problem.kind, .refused)
        XCTAssertEqual(problem.description, "the WHIP endpoint \(url) refused the room's offer: Unprocessable: two video tracks (422)")
        XCTAssertEqual(failure(500, "No such room (426)\n").description, "the WHIP endpoint \(url) refused the room's offer: No such room (426) (500)")
        let busy = failure(503, "", retryAfter: "Sun, 06 Nov 1994 08:49:57 GMT")
        XCTAssertEqual(busy.kind, .unavailable)
        XCTAssertEqual(busy.retryAfter, 20)
        XCTAssertEqual(failure(502, "<html><body>Bad gateway</body></html>").description, "the WHIP endpoint \(url) answered 502")
    }

    func testRetryAfterTakesSecondsOrADate() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        XCTAssertEqual(RetryPolicy.retryAfter("120", now: now), 120)
        XCTAssertEqual(RetryPolicy.retryAfter("Sun, 06 Nov 1994 08:50:37 GMT", now: now), 60)
        XCTAssertEqual(RetryPolicy.retryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now), 0, "a date past is now")
        XCTAssertNil(RetryPolicy.retryAfter("soon", now: now))
        XCTAssertNil(RetryPolicy.retryAfter(nil, now: now))
    }
}
