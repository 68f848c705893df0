import ControlContract
import Foundation
import RecorderCore

/// Matches a request's method and path against the registered routes. Paths are literal segments and
/// `{name}` placeholders; an unknown path gets 404 and a known path with another method 405, both as problems.
public struct Router: Sendable {
    /// One registered route.
    public struct Route: Sendable {
        public let method: String
        /// e.g. `/v1/recordings/{id}/stop`.
        public let pattern: String
        /// The least role that may call it.
        public let role: Role
        let segments: [Substring]
        let handler: Handler
    }

    /// How a route answers.
    enum Handler: Sendable {
        /// Awaited on a task of the connection.
        case waiting(@Sendable (ControlRequest) async -> ControlResponse)
        /// Answered on the connection's event loop as soon as the request is read: for what is read from memory
        /// the daemon keeps current (status), so a request waits for no thread but the one that read it.
        case immediate(@Sendable (ControlRequest) -> ControlResponse)
    }

    /// A route, or the problem that answers the request instead.
    private enum Resolution {
        case route(Route, parameters: [String: String])
        case problem(ControlResponse)
    }

    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, role: Role,
                             _ handler: @escaping @Sendable (ControlRequest) async -> ControlResponse) {
        routes.append(Route(method: method, pattern: pattern, role: role, segments: pattern.split(separator: "/"), handler: .waiting(handler)))
    }

    /// A route whose handler never waits: it is answered on the event loop that read the request.
    public mutating func addImmediate(_ method: String, _ pattern: String, role: Role,
                                      _ handler: @escaping @Sendable (ControlRequest) -> ControlResponse) {
        routes.append(Route(method: method, pattern: pattern, role: role, segments: pattern.split(separator: "/"), handler: .immediate(handler)))
    }

    /// Runs the matching route's handler.
    public func handle(_ request: ControlRequest) async -> ControlResponse {
        switch resolve(request) {
        case .problem(let response): return response
        case .route(let route, let parameters):
            var matched = request
            matched.pathParameters = parameters
            switch route.handler {
            case .waiting(let handler): return await handler(matched)
            case .immediate(let handler): return handler(matched)
            }
        }
    }

    /// The answer of an immediate route for `request`, or nil when its route must be awaited (``handle(_:)``).
    public func immediateResponse(to request: ControlRequest) -> ControlResponse? {
        guard case .route(let route, let parameters) = resolve(request), case .immediate(let handler) = route.handler else { return nil }
        var matched = request
        matched.pathParameters = parameters
        return handler(matched)
    }

    /// Whether a request for `path` with `method` may be answered immediately, known from its head alone.
    public func isImmediate(_ method: String, path: String) -> Bool {
        let segments = path.split(separator: "/")
        return routes.contains { route in
            if case .immediate = route.handler { return route.method == method && Self.match(route.segments, segments) != nil }
            return false
        }
    }

    private func resolve(_ request: ControlRequest) -> Resolution {
        let segments = request.path.split(separator: "/")
        var allowed: [String] = []
        // Literal segments win over placeholders: `/v1/recordings/current/stop` is not `/v1/recordings/{id}/stop`
        // with the id "current". Only the most literal pattern that matches the path is considered.
        let matches = routes.compactMap { route in Self.match(route.segments, segments).map { (route, $0) } }
        let best = matches.map { Self.literalCount($0.0.segments) }.max()
        let candidates = matches.filter { Self.literalCount($0.0.segments) == best }
        for (route, parameters) in candidates {
            guard route.method == request.method else {
                allowed.append(route.method)
                continue
            }
            guard request.caller.role >= route.role else {
                return .problem(.problem(Problem(status: 403, title: "Forbidden", detail:
                    "\(request.method) \(route.pattern) needs the \(route.role) role; uid \(request.caller.uid) is \(request.caller.role)")))
            }
            return .route(route, parameters: parameters)
        }
        if !allowed.isEmpty {
            return .problem(.problem(Problem(status: 405, title: "Method Not Allowed",
                                             detail: "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: ", "))"),
                                     headers: [("Allow", allowed.joined(separator: ", "))]))
        }
        return .problem(.problem(Problem(status: 404, title: "Not Found", detail: "no such route: \(request.method) \(request.path)")))
    }

    private static func match(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (p, s) in zip(pattern, path) {
            if p.hasPrefix("{"), p.hasSuffix("}") {
                parameters[String(p.dropFirst().dropLast())] = String(s).removingPercentEncoding ?? String(s)
            } else if p != s {
                return nil
            }
        }
        return parameters
    }

    private static func literalCount(_ segments: [Substring]) -> Int { segments.filter { !$0.hasPrefix("{") }.count }
}
