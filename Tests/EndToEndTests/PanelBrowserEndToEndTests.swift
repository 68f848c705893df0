import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// The room panel in a real browser: Debian's headless Chromium, driven by `Tests/Peers/panel_browser.py`
/// (selenium), opens the panel on the daemon's TCP listener as a kiosk would, sees the meters move and the
/// preview change, is refused Start without the operator token and starts a recording with it. The screenshot
/// it takes is kept in `out/test-artifacts/panel.png`.
final class PanelBrowserEndToEndTests: XCTestCase {
    struct BrowserReport: Decodable {
        var metersMoved: Bool
        var previewChanged: Bool
        var refusedWithoutToken: Bool
        var refusalMessage: String?
        var startedWithToken: Bool
        var consoleErrors: [String]
        var cspViolations: [String]?
    }

    func testTheKioskSeesTheRoomAndOnlyTheTokenStartsARecording() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else {
            throw XCTSkip("Debian's chromium-driver is not installed (make deps installs it)")
        }
        let files = try TemporaryDirectory(prefix: "rrpanel")
        let token = UUID().uuidString
        let (daemon, port) = try panelDaemon(token: token, in: files)
        try await daemon.start()
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
        let artifacts = "\(repo)/out/test-artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let python = "\(MotoServer.venv)/bin/python"
        let result = try ProcessRunner.run(python, ["\(repo)/Tests/Peers/panel_browser.py", "http://127.0.0.1:\(port)/panel/", token,
                                                    "\(artifacts)/panel.png"])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let line = String(try XCTUnwrap(result.stdout.split(separator: "\n").last, result.stderr))
        let report = try JSONDecoder().decode(BrowserReport.self, from: Data(line.utf8))
        XCTAssertTrue(report.metersMoved, line)
        XCTAssertTrue(report.previewChanged, line)
        XCTAssertTrue(report.refusedWithoutToken, line)
        XCTAssertTrue(report.startedWithToken, "\(line)\n\(daemon.log().suffix(2000))")
        XCTAssertEqual(report.cspViolations ?? [], [], "the page loads nothing its policy forbids")
        XCTAssertEqual(report.consoleErrors, [])
        let status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(status.state, .recording, "started from the browser")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(artifacts)/panel.png"))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        _ = try await daemon.stop()
    }
}

/// The room panel's TCP socket as `roomrec-panel.socket` passes it (systemd's own socket-activation tool, two
/// sockets named control and panel): what is served there, to whom, and what any listener refuses from a web page.
final class PanelSocketEndToEndTests: XCTestCase {
    /// Sends one request over a plain TCP socket (the headers exactly as given, Host included; the connection
    /// closed after the answer) and answers the status, the head in lower case, and the body.
    private func request(_ method: String, port: Int, path: String, headers: [String: String] = [:]) throws -> (status: Int, head: String, body: String) {
        var all = ["Host": "127.0.0.1:\(port)", "Connection": "close", "Content-Length": "0"]
        all.merge(headers) { $1 }
        let text = "\(method) \(path) HTTP/1.1\r\n" + all.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessRunner.Failure(message: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: in_port_t(UInt16(port).bigEndian),
                                  sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw ProcessRunner.Failure(message: "connect: \(errno)") }
        _ = text.withCString { send(fd, $0, strlen($0), 0) }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        let reply = String(decoding: answer, as: UTF8.self)
        let parts = reply.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        guard let statusText = head.split(separator: " ").dropFirst().first, let status = Int(statusText) else {
            throw ProcessRunner.Failure(message: "no HTTP answer: \(reply)")
        }
        return (status, head.lowercased(), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func testThePanelSocketServesThePanelOnlyAndWebPagesAreRefusedEverywhere() async throws {
        let files = try TemporaryDirectory(prefix: "rrpsock")
        // `listen` is set too, as docs/panel.md says: the passed socket wins, and nothing binds the port twice.
        let (daemon, port) = try panelDaemon(token: "tok3n", in: files)
        try await daemon.start(socketActivated: true, panelPort: port)

        let page = try request("GET", port: port, path: "/panel/")
        XCTAssertEqual(page.status, 200, page.body)
        XCTAssertTrue(page.head.contains("content-security-policy: default-src 'none'"), page.head)
        XCTAssertTrue(page.body.contains("<html"), page.body)
        XCTAssertEqual(try request("GET", port: port, path: "/panel").status, 308)
        XCTAssertEqual(try request("GET", port: port, path: "/v1/status").status, 200)
        XCTAssertEqual(try request("GET", port: port, path: "/v1/uploads").status, 404, "only the panel's routes on its address")
        XCTAssertEqual(try request("GET", port: port, path: "/metrics").status, 404)
        XCTAssertEqual(try request("GET", port: port, path: "/v1/status", headers: ["Host": "rebound.example:\(port)"]).status, 403,
                       "a DNS name pointed here is not the panel's address")
        XCTAssertEqual(try request("GET", port: port, path: "/v1/status", headers: ["Origin": "http://evil.example"]).status, 403)
        XCTAssertEqual(try request("POST", port: port, path: "/v1/recordings").status, 403, "a viewer")
        XCTAssertEqual(try request("POST", port: port, path: "/v1/recordings", headers: ["Authorization": "Bearer wrong"]).status, 401)
        let started = try request("POST", port: port, path: "/v1/recordings", headers: ["Authorization": "bearer tok3n"])
        XCTAssertEqual(started.status, 201, started.body)

        // On the control socket too, a web page's request is refused; roomrecctl's (no Origin) is not.
        let crossSite = try await daemon.client.send("POST", "/v1/recordings/current/stop", headers: [("Sec-Fetch-Site", "cross-site")])
        XCTAssertEqual(crossSite.status, 403)
        let foreign = try await daemon.client.send("GET", "/v1/status", headers: [("Origin", "http://evil.example")])
        XCTAssertEqual(foreign.status, 403, "also on the route answered at once")
        let stopped = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        XCTAssertEqual(stopped.status, 202)
        _ = try await daemon.stop()
        XCTAssertFalse(daemon.log().contains("cannot be served"), daemon.log())
    }
}

/// A daemon, not started yet, whose room panel listens on a free loopback port (`[panel] listen`), with `token` in
/// its operator token file (mode 600) in `files`.
private func panelDaemon(token: String, in files: TemporaryDirectory) throws -> (daemon: DaemonProcess, port: Int) {
    try "\(token)\n".write(toFile: "\(files.path)/panel-token", atomically: true, encoding: .utf8)
    chmod("\(files.path)/panel-token", 0o600)
    let port = LoopbackPort.free()
    let daemon = try DaemonProcess(sections: """
        [panel]
        listen = "127.0.0.1:\(port)"
        operator_token_file = "\(files.path)/panel-token"
        """)
    return (daemon, port)
}
