import ControlContract
import Foundation
import NIOHTTP1

/// Who a request on the panel's TCP address is: a viewer, or an operator when it carries
/// `Authorization: Bearer <the operator token>`; and the requests refused there outright: any carrying an
/// `Origin` other than this server's own (a page of another site in the kiosk's browser) or a `Host` that is not
/// this server's address (DNS rebinding).
enum PanelGate {
    static func check(_ head: HTTPRequestHead, token: String?, viewer: Caller) -> (Caller, ControlResponse?) {
        let host = head.headers.first(name: "Host") ?? ""
        if let origin = head.headers.first(name: "Origin"), origin != "http://\(host)", origin != "https://\(host)" {
            return (viewer, .problem(Problem(status: 403, title: "Forbidden", detail: "requests from another site's page (Origin \(origin)) are refused")))
        }
        let hostName = host.hasPrefix("[") ? String(host.dropFirst().prefix { $0 != "]" }) : String(host.prefix { $0 != ":" })
        if !["127.0.0.1", "localhost", "::1"].contains(hostName), !hostName.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) {
            return (viewer, .problem(Problem(status: 403, title: "Forbidden", detail: "the panel answers to its address, not to the name \(hostName)")))
        }
        guard let token, !token.isEmpty, let authorization = head.headers.first(name: "Authorization"), authorization.hasPrefix("Bearer ") else {
            return (viewer, nil)
        }
        guard constantTimeEqual(String(authorization.dropFirst("Bearer ".count)), token) else {
            return (viewer, .problem(Problem(status: 401, title: "Unauthorized", detail: "the bearer token is not the operator token of [panel] operator_token_file")))
        }
        var caller = viewer
        caller.role = .operator
        return (caller, nil)
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
}
