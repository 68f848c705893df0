import Foundation

/// A Python test peer from `Tests/Peers/` (the Kaltura and Opencast API servers) on 127.0.0.1: started with its
/// port and its storage folder, waited for until it says it listens, killed when the test is done with it.
public final class PeerProcess: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()

    /// Runs `Tests/Peers/<script> <port> <storage> <arguments…>` and returns once its first line (that it listens)
    /// is printed.
    public init(script: String, port: Int, storage: String, arguments: [String] = []) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Peers/\(script)").standardized.path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [path, "\(port)", storage] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        _ = output.fileHandleForReading.availableData
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
