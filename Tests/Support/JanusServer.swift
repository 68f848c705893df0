import Foundation

/// A real Janus WebRTC server (Debian's `janus`) on 127.0.0.1 for the session tests: only its HTTP and WebSocket
/// transports (the WebSocket one for ``WHIPServer``, which reaches Janus through it only) and the VideoRoom plugin,
/// ICE on the loopback interface, configured from `Tests/Peers/janus/` in a folder of its own. Room 1234 is open;
/// room 4321 asks for PIN 1111.
public final class JanusServer: @unchecked Sendable {
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/janus") }

    public let port: Int
    /// The HTTP API, as `[session] url` takes it.
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/janus")! }
    public let wsPort: Int
    /// The WebSocket API, as simple-whip-server's `janus.address` takes it.
    public var webSocketURL: String { "ws://127.0.0.1:\(wsPort)" }
    public let folder: TemporaryDirectory
    public var logPath: String { "\(folder.path)/janus.log" }
    private var process: Process?

    public init() throws {
        port = LoopbackPort.free()
        var wsPort = LoopbackPort.free()
        while wsPort == port { wsPort = LoopbackPort.free() }
        self.wsPort = wsPort
        folder = try TemporaryDirectory(prefix: "janus")
        let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Peers/janus").standardized
        let rtpStart = Int.random(in: 0..<100) * 100 + 50_000
        for name in ["janus.jcfg", "janus.transport.http.jcfg", "janus.transport.websockets.jcfg", "janus.plugin.videoroom.jcfg"] {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "@FOLDER@", with: folder.path)
                .replacingOccurrences(of: "@PORT@", with: "\(port)")
                .replacingOccurrences(of: "@WS_PORT@", with: "\(wsPort)")
                .replacingOccurrences(of: "@RTP_PORTS@", with: "\(rtpStart)-\(rtpStart + 99)")
            try text.write(toFile: "\(folder.path)/\(name)", atomically: true, encoding: .utf8)
        }
        let libraries = "/usr/lib/x86_64-linux-gnu/janus"
        let links: [(directory: String, names: [String])] = [
            ("plugins", ["libjanus_videoroom.so"]), ("transports", ["libjanus_http.so", "libjanus_websockets.so"]), ("empty", []),
        ]
        for (directory, names) in links {
            try FileManager.default.createDirectory(atPath: "\(folder.path)/\(directory)", withIntermediateDirectories: true)
            for library in names {
                try FileManager.default.createSymbolicLink(atPath: "\(folder.path)/\(directory)/\(library)", withDestinationPath: "\(libraries)/\(directory)/\(library)")
            }
        }
        // Janus skips loopback interfaces when it gathers ICE candidates, whatever ice_enforce_list says (and then
        // offers every other interface): a getifaddrs() that hides the loopback flag keeps it on 127.0.0.1.
        let shim = templates.appendingPathComponent("janus_lo_shim.c").path
        let built = try ProcessRunner.run("/usr/bin/cc", ["-shared", "-fPIC", "-O2", "-o", "\(folder.path)/janus_lo_shim.so", shim, "-ldl"])
        guard built.status == 0 else { throw ProcessRunner.Failure(message: "cannot build the loopback shim for Janus: \(built.stderr)") }
        try start()
    }

    /// Starts Janus and waits until its HTTP and WebSocket APIs accept connections.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/janus")
        process.arguments = ["-F", folder.path, "-C", "\(folder.path)/janus.jcfg"]
        process.environment = ProcessInfo.processInfo.environment.merging(["LD_PRELOAD": "\(folder.path)/janus_lo_shim.so"]) { $1 }
        try process.appendOutput(toLog: logPath)
        try process.run()
        self.process = process
        if process.waitUntilReady(attempts: 300, interval: 0.05, { MotoServer.accepts(port: port) && MotoServer.accepts(port: wsPort) }) { return }
        throw ProcessRunner.Failure(message: "janus did not start on ports \(port) (HTTP) and \(wsPort) (WebSocket); its log:\n\(log())")
    }

    /// Kills Janus (as a crash or a lost network would end it); `start()` brings it back with the same rooms.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop() }
}
