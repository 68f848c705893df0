import Crypto
import Foundation
import Synchronization

/// HTTP Digest authentication (RFC 2617, MD5, `qop="auth"`) as Opencast's Spring Security asks for it: the
/// challenge comes only when a request says `X-Requested-Auth: Digest`, its nonce is good for five minutes and
/// may be reused with a growing count, and an expired one is answered `stale="true"`.
final class DigestAuthorization: Sendable {
    struct Challenge: Equatable {
        var realm: String
        var nonce: String
        var qop: String?
        var opaque: String?
        var stale: Bool

        /// Reads a `WWW-Authenticate: Digest realm="…", qop="auth", nonce="…"` header; nil for another scheme.
        init?(header: String) {
            let trimmed = header.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("digest ") else { return nil }
            var fields: [String: String] = [:]
            var rest = Substring(trimmed.dropFirst("digest ".count))
            while !rest.isEmpty {
                rest = rest.drop { $0 == " " || $0 == "," }
                guard let equals = rest.firstIndex(of: "=") else { break }
                let name = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                rest = rest[rest.index(after: equals)...]
                var value = ""
                if rest.first == "\"" {
                    rest = rest.dropFirst()
                    while let character = rest.first, character != "\"" {
                        if character == "\\", rest.count > 1 { rest = rest.dropFirst() }
                        value.append(rest.first!)
                        rest = rest.dropFirst()
                    }
                    rest = rest.dropFirst()
                } else {
                    let end = rest.firstIndex(of: ",") ?? rest.endIndex
                    value = rest[..<end].trimmingCharacters(in: .whitespaces)
                    rest = rest[end...]
                }
                fields[name] = value
            }
            guard let realm = fields["realm"], let nonce = fields["nonce"] else { return nil }
            self.realm = realm
            self.nonce = nonce
            qop = fields["qop"].flatMap { offered in
                offered.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0 == "auth" }
            }
            opaque = fields["opaque"]
            stale = fields["stale"]?.lowercased() == "true"
        }
    }

    private struct State {
        var challenge: Challenge?
        var count = 0
        var receivedAt = Date.distantPast
    }

    let user: String
    private let password: String
    private let state = Mutex(State())

    init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// Keeps the server's latest challenge; its nonce is used until the server calls it stale.
    func received(_ challenge: Challenge) {
        state.withLock { $0 = State(challenge: challenge, count: 0, receivedAt: Date()) }
    }

    /// Whether a nonce younger than `seconds` is at hand (a large upload should not learn it needs a new one
    /// only after sending its body).
    func hasFreshNonce(within seconds: TimeInterval) -> Bool {
        state.withLock { $0.challenge != nil && Date().timeIntervalSince($0.receivedAt) < seconds }
    }

    /// The `Authorization` header for a request, once a challenge is known.
    func header(method: String, uri: String, cnonce: String = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()) -> String? {
        guard let (challenge, count) = state.withLock({ state -> (Challenge, Int)? in
            guard let challenge = state.challenge else { return nil }
            state.count += 1
            return (challenge, state.count)
        }) else { return nil }
        return Self.header(user: user, password: password, method: method, uri: uri, challenge: challenge, count: count, cnonce: cnonce)
    }

    static func header(user: String, password: String, method: String, uri: String, challenge: Challenge, count: Int, cnonce: String) -> String {
        let ha1 = md5("\(user):\(challenge.realm):\(password)")
        let ha2 = md5("\(method):\(uri)")
        let nc = String(format: "%08x", count)
        var fields = ["username=\"\(quoted(user))\"", "realm=\"\(quoted(challenge.realm))\"", "nonce=\"\(quoted(challenge.nonce))\"", "uri=\"\(quoted(uri))\""]
        if let qop = challenge.qop {
            fields += ["qop=\(qop)", "nc=\(nc)", "cnonce=\"\(cnonce)\"", "response=\"\(md5("\(ha1):\(challenge.nonce):\(nc):\(cnonce):\(qop):\(ha2)"))\""]
        } else {
            fields.append("response=\"\(md5("\(ha1):\(challenge.nonce):\(ha2)"))\"")
        }
        if let opaque = challenge.opaque { fields.append("opaque=\"\(quoted(opaque))\"") }
        return "Digest " + fields.joined(separator: ", ")
    }

    private static func md5(_ text: String) -> String {
        Insecure.MD5.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
