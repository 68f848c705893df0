import Foundation
import Networking
import RecorderCore
import Uploads

/// Talks to Opencast's REST services as a capture agent: every request authenticated (Basic, or Digest with
/// `X-Requested-Auth: Digest` so a missing login is a challenge and not a redirect), redirects never followed
/// (Opencast answers an unauthenticated browser-like request with its login page), answers turned into
/// ``OpencastError``s that name what to check.
public struct OpencastClient: Sendable {
    public let user: String
    public let auth: RoomRecorderConfig.Opencast.Auth
    private let password: String
    private let digest: DigestAuthorization?
    private let transport: HTTPTransport

    /// - Parameter timeout: seconds without progress before a request fails (no limit on a request's total time:
    ///   a long upload is never cut while it moves).
    public init(user: String, password: String, auth: RoomRecorderConfig.Opencast.Auth, options: HTTPTransport.Options, timeout: TimeInterval = 120) {
        self.user = user
        self.password = password
        self.auth = auth
        digest = auth == .digest ? DigestAuthorization(user: user, password: password) : nil
        var options = options
        options.followRedirects = false
        transport = HTTPTransport(timeout: timeout, options: options)
    }

    /// The client `[opencast]` describes, its password read from `password_file`.
    public static func configured(by settings: RoomRecorderConfig.Opencast, timeout: TimeInterval = 120) throws -> OpencastClient {
        let password = try SecretFile.read(settings.passwordFile, what: "Opencast password").text.trimmingCharacters(in: .newlines)
        guard !password.isEmpty else { throw SecretFile.Failure(description: "the Opencast password file \(settings.passwordFile) is empty") }
        return OpencastClient(user: settings.user, password: password, auth: settings.auth,
                              options: HTTPTransport.Options(caFile: settings.caFile, verifyCertificates: settings.verifyTLS), timeout: timeout)
    }

    public typealias Response = HTTPTransport.Response

    /// Sends a request and answers whatever status came back; only a request that got no answer throws (a
    /// ``HTTPTransport/NetworkError``). A Digest challenge is answered once, without asking anyone.
    public func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: [HTTPTransport.BodyPart] = [],
                     throttle: Throttle? = nil) async throws -> Response {
        let sent = authorized(headers, method: method, url: url)
        var response = try await transport.send(method, url: url, headers: sent, body: body, throttle: throttle)
        // Answered again only when the first try had no answer to give (no nonce yet) or its nonce expired: a
        // refused password is not sent twice.
        if let digest, response.status == 401, let challenge = response.headers["www-authenticate"].flatMap(DigestAuthorization.Challenge.init(header:)),
           sent["Authorization"] == nil || challenge.stale {
            digest.received(challenge)
            response = try await transport.send(method, url: url, headers: authorized(headers, method: method, url: url), body: body, throttle: throttle)
        } else if let digest, response.status == 401, let challenge = response.headers["www-authenticate"].flatMap(DigestAuthorization.Challenge.init(header:)) {
            digest.received(challenge)
        }
        return response
    }

    /// A form POST (`application/x-www-form-urlencoded`), as Opencast's state and ingest endpoints take it.
    public func post(_ url: URL, form fields: [(String, String)]) async throws -> Response {
        let body = fields.map { "\(Self.formEncoded($0.0))=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        return try await send("POST", url, headers: ["Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"], body: [.bytes(Data(body.utf8))])
    }

    /// A multipart POST whose file is streamed. With Digest, a nonce is fetched first when the one at hand may
    /// have expired, so the server does not refuse the body only after it has all been sent.
    public func post(_ url: URL, multipart form: MultipartForm, throttle: Throttle?, freshen: URL) async throws -> Response {
        if let digest, !digest.hasFreshNonce(within: 240) { _ = try await send("GET", freshen) }
        var form = form
        return try await send("POST", url, headers: ["Content-Type": form.contentType], body: form.finish(), throttle: throttle)
    }

    /// Throws the error a person can act on unless the answer's status is one of `expected`.
    public func require(_ response: Response, _ expected: Set<Int>, doing what: String, url: URL) throws -> Response {
        if expected.contains(response.status) { return response }
        throw error(for: response, doing: what, url: url)
    }

    /// What a refused request means, in words that say what to check.
    public func error(for response: Response, doing what: String, url: URL) -> OpencastError {
        let text = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = text.isEmpty || text.hasPrefix("<") ? "" : ": \(text)"
        let retryAfter = RetryPolicy.retryAfter(response.headers["retry-after"])
        switch response.status {
        case 301, 302, 303, 307, 308:
            let location = response.headers["location"] ?? "another page"
            return OpencastError(status: response.status, message: "Opencast sent \(what) to \(location) instead of answering: it did not take the "
                                 + "credentials as a capture agent's. Check [opencast] auth (\"\(auth.rawValue)\"; \"digest\" is for the digest system "
                                 + "account, \"basic\" for a user with ROLE_CAPTURE_AGENT) and url (the admin node, not a proxy's login page)")
        case 401:
            return OpencastError(status: 401, message: "Opencast refused user \"\(user)\" with \(auth.rawValue) authentication (401) for \(what): check "
                                 + "[opencast] user and password_file, and auth (\(auth == .basic ? "a user made in the admin UI signs in with \"basic\"" : "\"digest\" works only for the digest system account and users Opencast keeps in clear text; try \"basic\"")))")
        case 403:
            return OpencastError(status: 403, message: "Opencast's user \"\(user)\" may not \(what) (403): give it ROLE_CAPTURE_AGENT\(url.path.contains("/workflow") ? " and ROLE_ADMIN" : "")")
        default:
            return OpencastError(status: response.status, message: "Opencast answered \(response.status) to \(what) (\(url.path))\(detail)", retryAfter: retryAfter)
        }
    }

    private func authorized(_ headers: [String: String], method: String, url: URL) -> [String: String] {
        var headers = headers
        switch auth {
        case .basic:
            headers["Authorization"] = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        case .digest:
            headers["X-Requested-Auth"] = "Digest"
            // The request-target as sent: the path and query still percent-encoded.
            let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
            let target = (components?.percentEncodedPath ?? url.path) + (components?.percentEncodedQuery.map { "?\($0)" } ?? "")
            if let header = digest?.header(method: method, uri: target) { headers["Authorization"] = header }
        }
        return headers
    }

    /// Characters left as they are in a path segment or a query value: RFC 3986's unreserved ones. Everything else
    /// is percent-encoded, as pyCA does (`safe=''`): a `;` would start Jetty's path parameters, a `+` in a query is
    /// a space to CXF.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `base` with `segments` appended, each percent-encoded as one segment (an agent name with spaces, `;` or
    /// umlauts).
    public static func url(_ base: URL, appending segments: [String]) -> URL {
        var text = base.absoluteString
        if text.hasSuffix("/") { text.removeLast() }
        for segment in segments { text += "/" + (segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment) }
        return URL(string: text) ?? base
    }

    /// `base` with a query whose values are percent-encoded strictly.
    public static func url(_ base: URL, query: [(String, String)]) -> URL {
        let text = query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: unreserved) ?? $0.1)" }.joined(separator: "&")
        return URL(string: base.absoluteString + "?" + text) ?? base
    }

    /// `application/x-www-form-urlencoded` as browsers write it: letters, digits and `*-._` stay, space is `+`.
    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "*-._ ")
        return text.addingPercentEncoding(withAllowedCharacters: allowed.intersection(CharacterSet(charactersIn: "\u{0}"..."\u{7f}")))?
            .replacingOccurrences(of: " ", with: "+") ?? text
    }
}
