import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `Tests/Peers/whip_fault_proxy.py` in front of a ``WHIPServer``, for answers RFC 9725 allows and other platforms
/// give but simple-whip-server never does. Offers pass to the server unless a fault set with ``setFaults(_:)``
/// answers first: a 307/308 to `http://localhost:<port>/moved/…` (another host name to the client, served by this
/// proxy) or to a relative Location, a 503 with Retry-After (seconds or an HTTP-date), a 422 with an
/// `application/problem+json` body, a 301. `links` adds to each 201 the Link headers of the proxy's STUN server and
/// of a TURN server whose credentials need percent-encoding. The proxy records every WHIP request (``requests()``)
/// and what its STUN server answered (``stun()``). The script's header comment has the whole control API, e.g.
/// `{"redirect": {"status": 307, "count": 1}}`, `{"busy": {"status": 503, "retry_after": "2", "count": 2}}`,
/// `{"problem": {"status": 422, "title": "…", "detail": "…"}}`, `{"links": "joined"}`, `{"moved_permanently": true}`.
public final class WHIPFaultProxy: @unchecked Sendable {
    /// The TURN server's credentials in the `links` Link header (the script's TURN_USERNAME and TURN_CREDENTIAL);
    /// ``STUNActivity/Allocation`` shows whether a client's Allocate carried them intact.
    public static let turnUsername = "1735689600:room 101"
    public static let turnCredential = "aB3+/cD=,x;y@z%"

    /// A WHIP request the proxy saw.
    public struct Request: Decodable, Sendable, Equatable {
        public var method: String
        /// As received: a redirected offer's is `/moved/whip/endpoint/<id>`.
        public var path: String
        /// The Host header: `localhost:<port>` on an offer that followed the default redirect.
        public var host: String?
        public var hasAuthorization: Bool
        public var authorization: String?
        public var contentType: String?
        /// What the client was answered.
        public var status: Int?
        /// The fault that answered (`redirect`, `busy`, `problem`, `moved_permanently`); nil when the server did.
        public var fault: String?

        enum CodingKeys: String, CodingKey {
            case method, path, host, authorization, status, fault
            case hasAuthorization = "has_authorization"
            case contentType = "content_type"
        }
    }

    /// What the proxy's STUN server answered.
    public struct STUNActivity: Decodable, Sendable {
        public struct Allocation: Decodable, Sendable {
            /// `ip:port`.
            public var from: String
            public var username: String
            /// Whether the Allocate's MESSAGE-INTEGRITY holds with ``WHIPFaultProxy/turnCredential``.
            public var integrity: Bool
        }

        /// Binding Requests answered.
        public var bindings: Int
        /// Where each came from, `ip:port`, in order.
        public var addresses: [String]
        /// How many of them were RFC 3489 requests (no magic cookie: libnice's).
        public var rfc3489: Int
        /// TURN Allocates that carried credentials (answered 508 unless the `turn` fault says otherwise).
        public var allocations: [Allocation]
    }

    /// The server the proxy forwards to (kept running as long as the proxy).
    public let upstream: WHIPServer
    public let port: Int
    /// The STUN server's UDP port on 127.0.0.1 (the `links` STUN and TURN servers).
    public let stunPort: Int
    /// `http://127.0.0.1:<port>`.
    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }
    public let folder: TemporaryDirectory
    /// The proxy's JSON lines (faults set, requests, STUN and TURN requests).
    public var logPath: String { "\(folder.path)/whip-fault-proxy.log" }
    private var errorsPath: String { "\(folder.path)/whip-fault-proxy.stderr" }
    private let process: PeerProcess

    /// Starts the proxy in front of `upstream` on a free port and waits for the line saying where it listens.
    public init(upstream: WHIPServer) throws {
        let folder = try TemporaryDirectory(prefix: "whip-fault-proxy")
        let logPath = "\(folder.path)/whip-fault-proxy.log"
        let errorsPath = "\(folder.path)/whip-fault-proxy.stderr"
        let process = try PeerProcess(script: "whip_fault_proxy.py", arguments: ["--upstream", "http://127.0.0.1:\(upstream.port)", "--port", "0", "--log", logPath],
                                      errors: errorsPath)
        // Its only line on stdout: {"port": N, "stun_port": M}. Nothing if it could not start.
        struct Listening: Decodable {
            var port: Int
            var stunPort: Int
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let listening = try? decoder.decode(Listening.self, from: Data(process.firstLine.utf8)) else {
            process.stop()
            let errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
            throw ProcessRunner.Failure(message: "whip_fault_proxy.py did not start in front of port \(upstream.port) (it printed \(process.firstLine.debugDescription)):\n\(errors)")
        }
        self.upstream = upstream
        self.folder = folder
        self.process = process
        port = listening.port
        stunPort = listening.stunPort
    }

    /// The WHIP endpoint URL through the proxy: the server's endpoint URL on the proxy's port,
    /// `http://127.0.0.1:<port>/whip/endpoint/<id>`.
    public func endpointURL(id: String) -> URL {
        var components = URLComponents(url: upstream.endpointURL(id: id), resolvingAgainstBaseURL: false)!
        components.port = port
        return components.url!
    }

    /// Where a redirect without a `to` sends the offer to `endpointURL(id:)`:
    /// `http://localhost:<port>/moved/whip/endpoint/<id>`, another host name for the same proxy.
    public func movedURL(id: String) -> URL {
        URL(string: "http://localhost:\(port)/moved\(upstream.endpointURL(id: id).path)")!
    }

    /// Sets the faults the JSON object names (`null` clears one; the others stay): see the script's header.
    /// Throws with the proxy's reason if it refuses them.
    public func setFaults(_ json: String) throws {
        let answer = try PeerRequest.answer("POST", control("faults"), json: Data(json.utf8))
        guard answer.status == 200 else {
            throw ProcessRunner.Failure(message: "whip_fault_proxy.py refused the faults \(json): \(answer.status) \(answer.text)")
        }
    }

    /// Every WHIP request the proxy saw (control requests aside), in arrival order.
    public func requests() throws -> [Request] {
        try JSONDecoder().decode([Request].self, from: get("requests"))
    }

    /// Forgets the requests seen so far.
    public func forgetRequests() throws {
        _ = try PeerRequest.answer("DELETE", control("requests"))
    }

    /// What the STUN server answered so far.
    public func stun() throws -> STUNActivity {
        try JSONDecoder().decode(STUNActivity.self, from: get("stun"))
    }

    /// How many Binding Requests the STUN server answered.
    public func stunBindings() throws -> Int { try stun().bindings }

    /// Stops the proxy (it keeps nothing: SIGKILL).
    public func stop() { process.stop() }

    /// The proxy's log, then anything it printed as errors.
    public func log() -> String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
        return errors.isEmpty ? log : "\(log)\nstderr:\n\(errors)"
    }

    /// `http://127.0.0.1:<port>/_proxy/<name>`.
    private func control(_ name: String) -> URL { URL(string: "http://127.0.0.1:\(port)/_proxy/\(name)")! }

    private func get(_ name: String) throws -> Data {
        let answer = try PeerRequest.answer("GET", control(name))
        guard answer.status == 200 else {
            throw ProcessRunner.Failure(message: "whip_fault_proxy.py answered GET /_proxy/\(name) with \(answer.status) \(answer.text)")
        }
        return answer.body
    }
}
