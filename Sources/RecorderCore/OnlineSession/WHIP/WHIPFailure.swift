import Foundation

/// Why a WHIP endpoint did not take the room's publication, in words the person who configured it can act on,
/// and when to ask again. RFC 9725 §4.1 tells clients not to tie a status to one cause, so the message always
/// quotes what the endpoint said, and the status only chooses which setting it points at: the token file for
/// 401/403, the URL for 404 (LiveKit's ingress answers an unknown stream key with a 404 too), the offer for a
/// 4xx or 5xx that gives a reason.
public struct WHIPFailure: Error, Equatable, CustomStringConvertible, RetryAfterError {
    public enum Kind: Equatable, Sendable {
        /// 401 or 403: the token (missing, wrong, expired), or the endpoint in use by another publisher.
        case token
        /// 404: no endpoint at the URL.
        case notFound
        /// The endpoint refused the offer itself (400, 406, 415, 422, or a 5xx that gives a reason).
        case refused
        /// Busy or unavailable for now (429, 503, or a 5xx with nothing said).
        case unavailable
        /// An answer no WHIP endpoint should give (a 201 without `Location`, a redirect that turns POST into GET).
        case protocolError
    }

    public var kind: Kind
    public var description: String
    public var status: Int
    /// The endpoint's `Retry-After`, in seconds.
    public var retryAfter: TimeInterval?

    public init(kind: Kind, description: String, status: Int, retryAfter: TimeInterval? = nil) {
        self.kind = kind
        self.description = description
        self.status = status
        self.retryAfter = retryAfter
    }

    /// The failure an answer other than 201 (or a redirect, handled before) stands for.
    /// - Parameters:
    ///   - url: the endpoint asked (after redirects).
    ///   - tokenFile: where the bearer token came from, if one was sent.
    public static func answer(status: Int, body: Data, retryAfter: String?, url: URL, tokenFile: String?,
                              now: Date = Date()) -> WHIPFailure {
        let said = reason(body)
        let quoted = said.map { "\(status) \($0)" } ?? "\(status)"
        let wait = RetryPolicy.retryAfter(retryAfter, now: now)
        switch status {
        case 401:
            let token = tokenFile.map { "the token in \($0)" } ?? "no token (set [session] token_file)"
            return WHIPFailure(kind: .token, description: "the WHIP endpoint \(url.absoluteString) refused \(token) (\(quoted))", status: status, retryAfter: wait)
        case 403:
            // Forbidden is the token for most endpoints, but also "in use by another publisher" for some: the
            // endpoint's words come first, the token file as what to check.
            let token = tokenFile.map { "check the token in \($0)" } ?? "it may want a token ([session] token_file)"
            return WHIPFailure(kind: .token, description: "the WHIP endpoint \(url.absoluteString) refused the room (\(quoted)); \(token)", status: status, retryAfter: wait)
        case 404:
            return WHIPFailure(kind: .notFound, description: "no WHIP endpoint at \(url.absoluteString) (\(quoted)); check [session] url"
                               + (tokenFile == nil ? "" : ", and that the token names an ingress where the platform puts it in the URL"), status: status, retryAfter: wait)
        case 429, 503:
            return WHIPFailure(kind: .unavailable, description: "the WHIP endpoint \(url.absoluteString) is busy (\(quoted))", status: status, retryAfter: wait)
        default:
            if let said {
                return WHIPFailure(kind: .refused, description: "the WHIP endpoint \(url.absoluteString) refused the room's offer: \(said) (\(status))", status: status, retryAfter: wait)
            }
            return WHIPFailure(kind: status >= 500 ? .unavailable : .refused, description: "the WHIP endpoint \(url.absoluteString) answered \(status)", status: status, retryAfter: wait)
        }
    }

    /// What the endpoint said, for a person: an RFC 9457 problem's `detail` and `title`, a JSON `error` or
    /// `message`, or the text itself; one line, at most 300 characters; nil if it said nothing.
    public static func reason(_ body: Data) -> String? {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            let parts = ["title", "detail", "error", "message"].compactMap { object[$0] as? String }.filter { !$0.isEmpty }
            if !parts.isEmpty { return clip(parts.joined(separator: ": ")) }
        }
        // Express labels every string it sends text/html, so the label is not enough: a page of markup is not a reason.
        guard let text = String(data: body, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<") else { return nil }
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        return line.isEmpty ? nil : clip(line)
    }

    private static func clip(_ text: String) -> String {
        text.count > 300 ? String(text.prefix(299)) + "…" : text
    }
}
