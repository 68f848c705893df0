import ControlContract
import Foundation
import NIOHTTP1
import RecorderCore

/// One HTTP request on the control socket, with the caller's peer credentials.
public struct ControlRequest: Sendable {
    public var method: String
    /// The path without the query, e.g. `/v1/recordings`.
    public var path: String
    public var query: [String: String]
    public var headers: [(String, String)]
    public var body: Data
    public var caller: Caller
    /// Values of `{name}` segments of the matched route.
    public var pathParameters: [String: String] = [:]

    public init(method: String, target: String, headers: [(String, String)], body: Data, caller: Caller) {
        self.method = method
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = Self.path(of: target)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                query[key] = value
            }
        }
        self.query = query
        self.headers = headers
        self.body = body
        self.caller = caller
    }
}

/// One HTTP response: a status, headers and a body (JSON, a problem, a range of a file, or a stream).
public struct ControlResponse: Sendable {
    /// What follows the headers.
    public enum Body: Sendable {
        case data(Data)
        /// `length` bytes of the file at `path` from `offset`, read in chunks as they are sent.
        case file(path: String, offset: Int64, length: Int64)
        /// Chunks sent as they come, until the stream ends (Server-Sent Events).
        case stream(AsyncStream<Data>)
        /// Bytes made while they are sent: the producer's `write` returns once the connection has taken them,
        /// so a slow client slows the producer instead of filling memory.
        case produce(@Sendable (_ write: @escaping @Sendable (Data) async throws -> Void) async throws -> Void)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = .data(body)
    }

    public init(status: Int, headers: [(String, String)], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body's bytes, for a `.data` body (empty otherwise).
    public var data: Data {
        if case .data(let data) = body { return data }
        return Data()
    }

    /// `value` as JSON.
    public static func json<T: Encodable>(_ value: T, status: Int = 200, headers: [(String, String)] = []) -> ControlResponse {
        do {
            let body = try ControlJSON.encoder().encode(value)
            return ControlResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body + Data("\n".utf8))
        } catch {
            return problem(Problem(status: 500, title: "Internal Server Error", detail: "cannot encode the response: \(error)"))
        }
    }

    /// An `application/problem+json` response.
    public static func problem(_ problem: Problem, headers: [(String, String)] = []) -> ControlResponse {
        let body = (try? ControlJSON.encoder().encode(problem)) ?? Data()
        return ControlResponse(status: problem.status, headers: [("Content-Type", "application/problem+json")] + headers, body: body + Data("\n".utf8))
    }

    public static func error(_ error: ControlError) -> ControlResponse { problem(error.problem) }
}

extension ControlRequest {
    /// The path of a request target: what comes before its query.
    static func path(of target: String) -> String {
        String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
    }

    /// The request a parsed HTTP head and its body make.
    init(_ head: HTTPRequestHead, body: Data, caller: Caller) {
        self.init(method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body, caller: caller)
    }
}
