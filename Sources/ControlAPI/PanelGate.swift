import ControlContract
import Foundation
import NIOHTTP1

/// What a browser may not do to the daemon, and who a request on the room panel's TCP address is.
///
/// On every listener a request a browser made for another site's page is refused (`Sec-Fetch-Site` cross-site or
/// same-site, or an `Origin` that is not the address asked): command-line clients send neither, and a forwarded
/// control socket must not take a lecture's stop from a web page. On the panel's TCP address a caller is a
/// viewer, or an operator with `Authorization: Bearer <the operator token>`; only the panel's own routes are
/// served there, only to a `Host` that is an address (not a name a DNS rebinding could point here).
enum PanelGate {
    /// A refusal for a request made by another site's page, on any listener.
    static func crossSite(_ head: HTTPRequestHead) -> ControlResponse? {
        if let site = head.headers.first(name: "Sec-Fetch-Site")?.lowercased(), site == "cross-site" || site == "same-site" {
            return forbidden("requests from another site's page are refused")
        }
        let host = head.headers.first(name: "Host") ?? ""
        if let origin = head.headers.first(name: "Origin"), origin != "http://\(host)", origin != "https://\(host)" {
            return forbidden("requests from another site's page (Origin \(origin)) are refused")
        }
        return nil
    }

    /// The routes the panel's TCP address serves: the page, what it reads, and what an operator does there.
    static let panelRoutes: [(method: String, path: String)] = [
        ("GET", "/panel"), ("GET", "/panel/"), ("GET", "/panel/index.html"), ("GET", "/panel/panel.css"), ("GET", "/panel/panel.js"),
        ("GET", "/v1/status"), ("GET", "/v1/levels"), ("GET", "/v1/events"), ("GET", "/v1/preview.jpg"),
        ("POST", "/v1/recordings"), ("POST", "/v1/recordings/current/stop"), ("POST", "/v1/recordings/current/extend"),
    ]

    /// The caller of a request on the panel's TCP address, or why it is refused.
    static func check(_ head: HTTPRequestHead, token: String?, viewer: Caller) -> (Caller, ControlResponse?) {
        if let refused = crossSite(head) { return (viewer, refused) }
        guard let host = head.headers.first(name: "Host"), isAddress(host) else {
            return (viewer, forbidden("the panel answers to its address (such as 127.0.0.1:8480), not to \(head.headers.first(name: "Host") ?? "a request without Host")"))
        }
        let path = ControlRequest.path(of: head.uri)
        guard panelRoutes.contains(where: { $0.method == head.method.rawValue && $0.path == path }) else {
            return (viewer, .problem(Problem(status: 404, title: "Not Found", detail: "\(head.method.rawValue) \(path) is not served on the panel's address; use the control socket")))
        }
        guard let authorization = head.headers.first(name: "Authorization") else { return (viewer, nil) }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard let token, !token.isEmpty, parts.count == 2, parts[0].lowercased() == "bearer",
              constantTimeEqual(String(parts[1]).trimmingCharacters(in: .whitespaces), token) else {
            return (viewer, .problem(Problem(status: 401, title: "Unauthorized", detail: "the bearer token is not the operator token of [panel] operator_token_file")))
        }
        var caller = viewer
        caller.role = .operator
        return (caller, nil)
    }

    /// Whether a `Host` header names an IP address (with its port) or localhost, not a DNS name.
    static func isAddress(_ host: String) -> Bool {
        var name = host
        if name.hasPrefix("[") {
            guard let end = name.firstIndex(of: "]") else { return false }
            name = String(name[name.index(after: name.startIndex)..<end])
            var address = in6_addr()
            return inet_pton(AF_INET6, name, &address) == 1
        }
        if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        var address = in_addr()
        return name == "localhost" || inet_pton(AF_INET, name, &address) == 1
    }

    /// Compares without stopping at the first difference, so the time taken says nothing of the token.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        var difference = x.count ^ y.count
        for index in 0..<max(x.count, y.count) {
            difference |= Int((index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0))
        }
        return difference == 0
    }

    private static func forbidden(_ detail: String) -> ControlResponse { .problem(Problem(status: 403, title: "Forbidden", detail: detail)) }
}
