import Foundation
import Networking
import RecorderCore

/// The HTTP side of WHIP (RFC 9725): the offer is POSTed to the endpoint, the resource it makes is DELETEd when the
/// room stops publishing. Redirects are followed here, not by the HTTP client: the bearer token must go with the
/// offer to the host a 307/308 names (a general HTTP client drops it across hosts), and a relative `Location`
/// is resolved against the URL that finally answered.
struct WHIPClient: Sendable {
    /// A publication the endpoint accepted.
    struct Session: Sendable {
        /// The endpoint's answer (SDP).
        var answer: String
        /// The resource to DELETE at the end.
        var resource: URL
        /// The ICE servers the endpoint named in its `Link` headers.
        var iceServers: [WHIPIceServer]
    }

    /// Redirects followed before the endpoint counts as misconfigured.
    static let maximumRedirects = 10

    let endpoint: URL
    /// Where the token comes from: read afresh for every attempt, so a replaced token is used without a restart.
    let tokenFile: String?
    private let http = HTTPTransport(timeout: 15, options: .init(followRedirects: false))
    /// For the DELETE: leaving or stopping is not held up by an endpoint that does not answer.
    private let quick = HTTPTransport(timeout: 3, options: .init(followRedirects: false))

    init(endpoint: URL, tokenFile: String?) {
        self.endpoint = endpoint
        self.tokenFile = tokenFile
    }

    /// The token in ``tokenFile``, trimmed; nil without a file.
    func token() throws -> String? {
        guard let tokenFile else { return nil }
        let text = try SecretFile.read(tokenFile, what: "WHIP token").text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw WHIPFailure(kind: .token, description: "the WHIP token file \(tokenFile) is empty", status: 0) }
        return text
    }

    /// POSTs the offer, following 307 and 308, and returns the accepted publication; throws a ``WHIPFailure`` for
    /// an answer a person must act on or wait for, or a network error.
    func publish(offer: String) async throws -> Session {
        let token = try token()
        var url = endpoint
        for _ in 0...Self.maximumRedirects {
            var headers = ["Content-Type": "application/sdp", "Accept": "application/sdp"]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            let response = try await http.send("POST", url: url, headers: headers, body: [.bytes(Data(offer.utf8))])
            switch response.status {
            case 201:
                guard let location = response.headers["location"], let resource = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw WHIPFailure(kind: .protocolError, description: "the WHIP endpoint \(url.absoluteString) accepted the offer but named no resource (no Location), so the publication could never be ended", status: 201)
                }
                guard let answer = String(data: response.body, encoding: .utf8), answer.hasPrefix("v=0") else {
                    throw WHIPFailure(kind: .protocolError, description: "the WHIP endpoint \(url.absoluteString) answered 201 without an SDP answer", status: 201)
                }
                return Session(answer: answer, resource: resource, iceServers: WHIPIceServer.fromLinkFields(response.headerValues["link"] ?? []))
            case 307, 308:
                url = try redirect(from: url, response)
            case 301, 302, 303:
                throw WHIPFailure(kind: .protocolError, description: "the WHIP endpoint \(url.absoluteString) redirects with \(response.status) to "
                                  + "\(response.headers["location"] ?? "nowhere"), which turns the offer into a GET; set [session] url to where it points", status: response.status)
            default:
                throw WHIPFailure.answer(status: response.status, body: response.body,
                                         retryAfter: response.headers["retry-after"], url: url, tokenFile: tokenFile)
            }
        }
        throw WHIPFailure(kind: .protocolError, description: "the WHIP endpoint \(endpoint.absoluteString) redirected more than \(Self.maximumRedirects) times", status: 308)
    }

    /// Ends a publication on the endpoint. A 404 means it is already gone; other failures are thrown for the log.
    func end(_ resource: URL) async throws {
        var headers: [String: String] = [:]
        if let token = try? token() { headers["Authorization"] = "Bearer \(token)" }
        let response = try await quick.send("DELETE", url: resource, headers: headers)
        guard (200..<300).contains(response.status) || response.status == 404 else {
            throw WHIPFailure.answer(status: response.status, body: response.body,
                                     retryAfter: nil, url: resource, tokenFile: tokenFile)
        }
    }

    /// Where a 307/308 sends the offer; a redirect from HTTPS to plain HTTP is refused (it would send the token in
    /// the clear).
    private func redirect(from url: URL, _ response: HTTPTransport.Response) throws -> URL {
        guard let location = response.headers["location"], let next = URL(string: location, relativeTo: url)?.absoluteURL,
              next.scheme == "http" || next.scheme == "https" else {
            throw WHIPFailure(kind: .protocolError, description: "the WHIP endpoint \(url.absoluteString) redirected (\(response.status)) without a usable Location", status: response.status)
        }
        guard !(url.scheme == "https" && next.scheme == "http") else {
            throw WHIPFailure(kind: .protocolError, description: "the WHIP endpoint \(url.absoluteString) redirected to plain HTTP (\(next.absoluteString)); refused, as it would send the token in the clear", status: response.status)
        }
        return next
    }
}
