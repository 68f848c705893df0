import Foundation
import Networking

/// Janus's HTTP API (its REST transport): requests are posted to the server, to a session or to a plugin handle,
/// and a session's events are fetched by long poll, up to ten at a time.
final class JanusClient: Sendable {
    private let base: URL
    private let token: String?
    /// Janus holds a long poll for up to 30 s: the read timeout is longer.
    private let http = HTTPTransport(timeout: 45)

    init(base: URL, token: String?) {
        self.base = base
        self.token = token
    }

    /// Creates a session; returns its id.
    func createSession() async throws -> UInt64 {
        let answer = try await post(base, ["janus": "create"])
        guard answer.janus == "success", let id = answer.data?.id else { throw unexpected(answer, "create") }
        return id
    }

    /// Attaches the session to `plugin`; returns the handle's id.
    func attach(session: UInt64, plugin: String) async throws -> UInt64 {
        let answer = try await post(url(session), ["janus": "attach", "plugin": plugin])
        guard answer.janus == "success", let id = answer.data?.id else { throw unexpected(answer, "attach to \(plugin)") }
        return id
    }

    /// Sends `body` to the plugin behind `handle`. Asynchronous requests (`join`, `configure`) are acknowledged
    /// at once and answered by an event on the long poll; synchronous ones are answered here.
    @discardableResult
    func message(session: UInt64, handle: UInt64, body: [String: any Sendable], jsep: [String: any Sendable]? = nil) async throws -> JanusMessage {
        var request: [String: any Sendable] = ["janus": "message", "body": body]
        if let jsep { request["jsep"] = jsep }
        let answer = try await post(url(session, handle), request)
        if let failure = answer.plugindata?.data, let reason = failure.error {
            throw JanusError("VideoRoom refused \(body["request"] ?? "the request"): \(reason) (error \(failure.errorCode ?? 0))")
        }
        guard answer.janus == "ack" || answer.janus == "success" else { throw unexpected(answer, "message") }
        return answer
    }

    /// Tells Janus the session is still wanted (it ends sessions silent for `session_timeout`, 60 s by default).
    func keepalive(session: UInt64) async throws {
        let answer = try await post(url(session), ["janus": "keepalive"])
        guard answer.janus == "ack" else { throw unexpected(answer, "keepalive") }
    }

    /// Waits up to 30 s for the session's next events.
    func poll(session: UInt64) async throws -> [JanusMessage] {
        var components = URLComponents(url: url(session), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "maxev", value: "10"), URLQueryItem(name: "rid", value: "\(UInt64.random(in: 1...UInt64.max))")]
        if let token { components.queryItems?.append(URLQueryItem(name: "token", value: token)) }
        let response = try await http.send("GET", url: components.url!, headers: [:])
        guard response.status == 200 else { throw JanusError("the long poll answered HTTP \(response.status)") }
        let decoder = JSONDecoder()
        if let messages = try? decoder.decode([JanusMessage].self, from: response.body) { return messages }
        do {
            return [try decoder.decode(JanusMessage.self, from: response.body)]
        } catch {
            throw JanusError("the long poll answered something that is not a Janus event: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
    }

    /// Detaches a handle (a subscription that is no longer wanted).
    func detach(session: UInt64, handle: UInt64) async throws {
        _ = try await post(url(session, handle), ["janus": "detach"])
    }

    /// Ends the session (and with it the handle, which leaves the room).
    func destroy(session: UInt64) async throws {
        _ = try await post(url(session), ["janus": "destroy"])
    }

    private func url(_ session: UInt64, _ handle: UInt64? = nil) -> URL {
        let url = base.appendingPathComponent("\(session)")
        return handle.map { url.appendingPathComponent("\($0)") } ?? url
    }

    private func post(_ url: URL, _ fields: [String: any Sendable]) async throws -> JanusMessage {
        var request = fields
        request["transaction"] = UUID().uuidString
        if let token { request["token"] = token }
        let body = try JSONSerialization.data(withJSONObject: request)
        let response = try await http.send("POST", url: url, headers: ["Content-Type": "application/json"], body: [.bytes(body)])
        guard response.status == 200 else { throw JanusError("\(url.path) answered HTTP \(response.status)") }
        let answer: JanusMessage
        do {
            answer = try JSONDecoder().decode(JanusMessage.self, from: response.body)
        } catch {
            throw JanusError("\(url.path) answered something that is not a Janus message: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        if answer.janus == "error", let failure = answer.error {
            throw JanusError("Janus refused \(fields["janus"] ?? "the request"): \(failure.reason) (error \(failure.code))")
        }
        return answer
    }

    private func unexpected(_ answer: JanusMessage, _ what: String) -> JanusError {
        JanusError("Janus answered \(what) with \"\(answer.janus)\"")
    }
}
