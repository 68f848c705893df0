import ControlClient
import Foundation
import RecorderCore

/// A real `roomrecd` process started with a temporary configuration, for end-to-end tests.
public final class DaemonProcess: @unchecked Sendable {
    /// Where the built executables are: `$ROOMREC_BIN_DIR`, else beside the test bundle.
    public static var binDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["ROOMREC_BIN_DIR"] { return dir }
        return URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().path
    }

    public let root: TemporaryDirectory
    public let configPath: String
    public var socketPath: String { "\(root.path)/control.sock" }
    public var outputDirectory: String { "\(root.path)/recordings" }
    public var libraryDirectory: String { "\(root.path)/library" }
    public var stateDirectory: String { "\(root.path)/state" }
    public var client: ControlClient { ControlClient(socketPath: socketPath) }
    public let logPath: String
    private var process: Process?

    /// Writes a configuration for a room `roomId` whose files all live in a new temporary directory.
    /// `library` replaces the `[library]` section (for another target); `recording` adds keys to `[recording]`.
    public init(roomId: String = "room-101", title: String = "Room 101", preset: String = "ultrafast", control: String = "",
                library: String? = nil, recording: String = "", sections: String = "") throws {
        root = try TemporaryDirectory(prefix: "rrd")
        configPath = "\(root.path)/roomrec.toml"
        logPath = "\(root.path)/roomrecd.log"
        try """
            [room]
            id = "\(roomId)"
            title = "\(title)"
            type = "channel"
            owner = "channel-owner"

            [recording]
            output_dir = "\(outputDirectory)"
            video_preset = "\(preset)"
            \(recording)

            \(library ?? "[library]\npath = \"\(libraryDirectory)\"")

            [control]
            socket = "\(socketPath)"
            \(control)

            [daemon]
            state_dir = "\(stateDirectory)"
            log_level = "debug"

            \(sections)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and waits until its socket answers. With `socketActivated`, systemd's own
    /// `systemd-socket-activate` binds the socket and starts the daemon on the first connection, passing the
    /// socket as systemd does (`LISTEN_FDS`). `environment` is added to the daemon's. `wrapper` is a command
    /// that runs the daemon (such as `prlimit --fsize=… --`).
    /// With `panelPort` (and `socketActivated`), systemd's tool also passes the room panel's TCP socket, named as
    /// `roomrec-panel.socket` names it.
    public func start(socketActivated: Bool = false, panelPort: Int? = nil, environment: [String: String] = [:], wrapper: [String] = []) async throws {
        let process = Process()
        let daemon = "\(Self.binDirectory)/roomrecd"
        if socketActivated {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
            process.arguments = ["--listen=\(socketPath)"] + (panelPort.map { ["--listen=127.0.0.1:\($0)", "--fdname=control:panel"] } ?? [])
                + [daemon, "--config", configPath]
        } else {
            process.executableURL = URL(fileURLWithPath: daemon)
            process.arguments = ["--config", configPath]
        }
        if let command = wrapper.first {
            process.arguments = Array(wrapper.dropFirst()) + [process.executableURL!.path] + process.arguments!
            process.executableURL = URL(fileURLWithPath: command)
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.appendOutput(toLog: logPath)
        try process.run()
        self.process = process
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: socketPath),
               let response = try? await client.send("GET", "/v1/status"), response.status == 200 { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessRunner.Failure(message: "roomrecd did not start; its log:\n\(log())")
    }

    /// Sends `signal` and waits for the process to exit; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else { throw ProcessRunner.Failure(message: "roomrecd did not exit after signal \(signal)") }
        self.process = nil
        return process.terminationStatus
    }

    /// Waits for the daemon to exit by itself; returns its exit status, or nil while it still runs after `seconds`.
    public func waitForExit(seconds: Double) async throws -> Int32? {
        guard let process else { return nil }
        for _ in 0..<Int(seconds * 20) where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else { return nil }
        self.process = nil
        return process.terminationStatus
    }

    /// Sends `signal` to the running daemon.
    public func signal(_ signal: Int32) async throws {
        guard let process else { throw ProcessRunner.Failure(message: "roomrecd is not running") }
        kill(process.processIdentifier, signal)
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
