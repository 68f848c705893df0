import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Debian's simple-whip-server (a WHIP endpoint in front of a ``JanusServer``'s VideoRoom, reached over Janus's
/// WebSocket API) on a free port, for the WHIP tests. It has no options and reads `./config.js`, so each one runs
/// `node server.js` in a folder of its own holding copies of the package's `server.js` and `whip-janus.js` beside a
/// generated `config.js`, with the node packages `make whip-server` extracted (see the Makefile for why they are
/// not installed). Endpoints live in the server's memory only: after `start()` a test creates them again. When
/// Janus goes, the server ends its sessions (Janus hangs up their PeerConnections), answers POSTs 503 "Janus
/// unavailable" and tries Janus again every 2 s, keeping its endpoints.
public final class WHIPServer: @unchecked Sendable {
    /// What `make whip-server` prepared (`root/`, the extracted packages, and the two files):
    /// `$ROOMREC_WHIP_SERVER`, else `<repo>/out/simple-whip-server`.
    public static var home: String {
        if let home = ProcessInfo.processInfo.environment["ROOMREC_WHIP_SERVER"] { return home }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../out/simple-whip-server").standardized.path
    }

    static let node = "/usr/bin/node"
    static let files = ["server.js", "whip-janus.js"]

    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: node)
            && files.allSatisfy { FileManager.default.fileExists(atPath: "\(home)/\($0)") }
            && FileManager.default.fileExists(atPath: "\(home)/root/usr/lib/x86_64-linux-gnu/nodejs/websocket")
    }

    /// Why ``isInstalled`` is false, for `XCTSkip`.
    public static let notInstalled = "simple-whip-server is not prepared (make whip-server puts it in out/simple-whip-server; node comes from make deps)"

    public let port: Int
    /// The REST API's base, `http://127.0.0.1:<port>/whip`.
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/whip")! }
    public let folder: TemporaryDirectory
    /// One file for every run of the server (`DEBUG=whip:*,janus:*`: its requests and its Janus messages).
    public var logPath: String { "\(folder.path)/whip-server.log" }
    private var process: Process?

    /// Writes the server's folder for `janus` (which must be running: the server connects to it before it listens)
    /// and starts it.
    public init(janus: JanusServer) throws {
        port = LoopbackPort.free()
        folder = try TemporaryDirectory(prefix: "whip-server")
        for name in Self.files {
            try FileManager.default.copyItem(atPath: "\(Self.home)/\(name)", toPath: "\(folder.path)/\(name)")
        }
        // No iceServers: a Link to a STUN server that is not there would hold up the client's gathering.
        let config = """
            // Written by Tests/Support/WHIPServer.swift.
            module.exports = {
            \tjanus: { address: '\(janus.webSocketURL)' },
            \tport: \(port),
            \trest: '/whip',
            \tstrictETags: false
            };

            """
        try config.write(toFile: "\(folder.path)/config.js", atomically: true, encoding: .utf8)
        try start()
    }

    /// Starts the server (on the same port as before, with no endpoints) and waits until `GET /whip/healthcheck`
    /// answers 200: it only listens once it is connected to Janus.
    public func start() throws {
        let root = "\(Self.home)/root"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.node)
        process.arguments = ["server.js"]
        process.currentDirectoryURL = folder.url
        process.environment = ProcessInfo.processInfo.environment.merging([
            "NODE_PATH": "\(root)/usr/share/nodejs:\(root)/usr/lib/nodejs:\(root)/usr/lib/x86_64-linux-gnu/nodejs",
            "DEBUG": "whip:*,janus:*",
            "FORCE_COLOR": "0",
        ]) { $1 }
        try process.appendOutput(toLog: logPath)
        try process.run()
        self.process = process
        // Node loads express in a second or so; on a loaded machine, and if Janus is not there yet (it retries
        // every 2 s), it takes longer: wait up to 30 s.
        let healthcheck = url.appendingPathComponent("healthcheck")
        if process.waitUntilReady(attempts: 300, interval: 0.1, {
            MotoServer.accepts(port: port) && (try? PeerRequest.answer("GET", healthcheck))?.status == 200
        }) { return }
        throw ProcessRunner.Failure(message: "simple-whip-server did not start on port \(port); its log:\n\(log())")
    }

    /// Stops the server as systemd would (SIGTERM), SIGKILL after 5 s; `start()` brings it back on the same port.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<100 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    /// Creates the endpoint `id` (`POST /whip/create`) publishing into VideoRoom `room` as `label` (the display name
    /// a watcher looks for), asking for `Authorization: Bearer <token>` when a token is given. Throws with the
    /// server's answer unless it is 200 (400 "Endpoint already exists", say).
    public func createEndpoint(id: String, room: UInt64, token: String?, label: String) throws {
        struct Create: Encodable {
            var id: String
            var room: UInt64
            var token: String?
            var label: String
        }
        let body = try JSONEncoder().encode(Create(id: id, room: room, token: token, label: label))
        let answer = try PeerRequest.answer("POST", url.appendingPathComponent("create"), json: body)
        guard answer.status == 200 else {
            throw ProcessRunner.Failure(message: "simple-whip-server did not create endpoint \(id): \(answer.status) \(answer.text)")
        }
    }

    /// The WHIP endpoint URL a client POSTs its offer to: `http://127.0.0.1:<port>/whip/endpoint/<id>`.
    public func endpointURL(id: String) -> URL { url.appendingPathComponent("endpoint").appendingPathComponent(id) }

    /// Whether endpoint `id` has a session (a publisher in Janus), as `GET /whip/endpoints` lists it; false for an
    /// endpoint that does not exist.
    public func isPublishing(id: String) throws -> Bool {
        struct Endpoint: Decodable {
            var id: String
            var enabled: Bool
        }
        let answer = try PeerRequest.answer("GET", url.appendingPathComponent("endpoints"))
        guard answer.status == 200 else {
            throw ProcessRunner.Failure(message: "simple-whip-server did not list its endpoints: \(answer.status) \(answer.text)")
        }
        return try JSONDecoder().decode([Endpoint].self, from: answer.body).contains { $0.id == id && $0.enabled }
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop() }
}
