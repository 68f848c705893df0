import Foundation

/// A STUN or TURN server a WHIP endpoint offers in its `Link` headers (RFC 9725 §4.6), or one configured.
///
/// The endpoint names it with RFC 7064/7065 URIs (`stun:host:port`, `turn:host:port?transport=udp`); webrtcbin
/// takes `stun://host:port` and `turn://user:password@host:port?transport=…`, so ``webrtcbinURI`` translates,
/// percent-encoding the credentials (TURN REST passwords hold `/`, `+` and `=`) and filling in the default port.
public struct WHIPIceServer: Equatable, Sendable {
    /// `stun:…`, `turn:…` or `turns:…`, as the endpoint gave it.
    public var uri: String
    public var username: String?
    public var credential: String?

    public init(uri: String, username: String? = nil, credential: String? = nil) {
        self.uri = uri
        self.username = username
        self.credential = credential
    }

    public var isTURN: Bool { uri.hasPrefix("turn:") || uri.hasPrefix("turns:") }

    /// The server as webrtcbin's `stun-server` or `add-turn-server` takes it; nil for a scheme it has no use for,
    /// or a TURN server without credentials (webrtcbin refuses those).
    public var webrtcbinURI: String? {
        guard let colon = uri.firstIndex(of: ":") else { return nil }
        let scheme = String(uri[..<colon]).lowercased()
        var rest = String(uri[uri.index(after: colon)...])
        if rest.hasPrefix("//") { rest.removeFirst(2) }
        let query: String
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[mark...])
            rest = String(rest[..<mark])
        } else {
            query = ""
        }
        guard !rest.isEmpty else { return nil }
        let defaultPort = scheme == "turns" ? 5349 : 3478
        // A bracketed IPv6 host ends with `]`; otherwise a colon introduces the port.
        let hasPort = rest.hasSuffix("]") ? false : rest.contains(":")
        let hostPort = hasPort ? rest : "\(rest):\(defaultPort)"
        switch scheme {
        case "stun":
            return "stun://\(hostPort)"
        case "turn", "turns":
            guard let username, let credential else { return nil }
            return "\(scheme)://\(Self.userinfo(username)):\(Self.userinfo(credential))@\(hostPort)\(query)"
        default:
            return nil
        }
    }

    private static func userinfo(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The ICE servers in a response's `Link` fields: each field may hold several links joined by commas. Links
    /// whose `rel` is not `ice-server` (extensions) are skipped, as are TURN servers whose credential type is not
    /// `password`.
    public static func fromLinkFields(_ fields: [String]) -> [WHIPIceServer] {
        fields.flatMap(splitLinks).compactMap(parseLink)
    }

    /// Splits a field at the commas outside `<…>` and quotes.
    private static func splitLinks(_ field: String) -> [String] { split(field, at: ",", outsideTargets: true) }

    /// Splits `text` at `separator` where it is outside quotes (and, if asked, outside `<…>`), trimmed, empty parts
    /// dropped.
    private static func split(_ text: String, at separator: Character, outsideTargets: Bool) -> [String] {
        var parts: [String] = []
        var current = ""
        var inTarget = false
        var inQuotes = false
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if inQuotes && character == "\\" {
                escaped = true
            } else if character == "\"" && !inTarget {
                inQuotes.toggle()
            } else if outsideTargets && character == "<" && !inQuotes {
                inTarget = true
            } else if outsideTargets && character == ">" && !inQuotes {
                inTarget = false
            } else if character == separator && !inTarget && !inQuotes {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// One link: `<turn:host?transport=udp>; rel="ice-server"; username="u"; credential="p"`.
    private static func parseLink(_ link: String) -> WHIPIceServer? {
        guard link.hasPrefix("<"), let close = link.firstIndex(of: ">") else { return nil }
        let target = String(link[link.index(after: link.startIndex)..<close])
        var parameters: [String: String] = [:]
        for part in split(String(link[link.index(after: close)...]), at: ";", outsideTargets: false) {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            parameters[name] = value
        }
        guard let rel = parameters["rel"], rel.split(separator: " ").contains(where: { $0.lowercased() == "ice-server" }) else { return nil }
        let lowered = target.lowercased()
        guard lowered.hasPrefix("stun:") || lowered.hasPrefix("stuns:") || lowered.hasPrefix("turn:") || lowered.hasPrefix("turns:") else { return nil }
        let server = WHIPIceServer(uri: target, username: parameters["username"], credential: parameters["credential"])
        if server.isTURN, let type = parameters["credential-type"], type.lowercased() != "password" { return nil }
        return server
    }
}
