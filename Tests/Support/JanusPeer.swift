import Foundation
import Synchronization

/// A remote participant for the session tests: `Tests/Peers/janus_peer.py`, a real WebRTC peer (aiortc, from the
/// test environment) that joins a ``JanusServer`` room and publishes a solid-colour picture and a tone. It prints
/// one JSON object per line; `media-up` says its media reached Janus.
public final class JanusPeer: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    private let lines = Mutex<[String]>([])

    /// Joins room `room` as `display`; leaves by itself after `duration` seconds (0: when ``leave()`` is called).
    /// `screen`: the picture is described to Janus as a shared screen (a screen-sharing connection).
    public init(janus: JanusServer, room: Int = 1234, pin: String? = nil, display: String, color: String = "red",
                frequency: Int = 440, screen: Bool = false, duration: Double = 0) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Peers/janus_peer.py").standardized.path
        process.executableURL = URL(fileURLWithPath: "\(MotoServer.venv)/bin/python")
        process.arguments = [script, "--url", janus.url.absoluteString, "--room", "\(room)", "--display", display, "--color", color,
                             "--freq", "\(frequency)", "--duration", "\(duration)"] + (pin.map { ["--pin", $0] } ?? [])
            + (screen ? ["--screen", "--width", "1280", "--height", "720", "--fps", "5"] : [])
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        let thread = Thread { [weak self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    self?.lines.withLock { $0.append(line) }
                }
            }
        }
        thread.start()
    }

    /// What the peer printed so far, one JSON object per line.
    public var log: [String] { lines.withLock { $0 } }

    /// Waits until the peer prints a line whose `peer` field is `event` (`joined`, `media-up`, `exit`, …).
    public func waitFor(_ event: String, timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(where: { $0.contains("\"peer\": \"\(event)\"") }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessRunner.Failure(message: "the peer did not say \(event) within \(timeout) s; it said:\n\(log.joined(separator: "\n"))")
    }

    /// Leaves the room (the peer unblocks SIGTERM and hangs up cleanly) and waits for it to exit.
    public func leave() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
