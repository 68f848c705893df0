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
        try "\(token)\n".write(toFile: "\(files.path)/panel-token", atomically: true, encoding: .utf8)
        chmod("\(files.path)/panel-token", 0o600)
        let port = LoopbackPort.free()
        let daemon = try DaemonProcess(sections: """
            [panel]
            listen = "127.0.0.1:\(port)"
            operator_token_file = "\(files.path)/panel-token"
            """)
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
