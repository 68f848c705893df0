import Foundation

/// A Python test peer from `Tests/Peers/` (the Kaltura and Opencast API servers, the WHIP fault proxy) on
/// 127.0.0.1: started, waited for until its first line says it listens, killed when the test is done with it.
public final class PeerProcess: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    /// What the peer printed first (where it listens), without the newline; empty if it ended before a line.
    public let firstLine: String

    /// Runs `Tests/Peers/<script> <arguments…>` and returns once its first line is printed. What it says on stderr
    /// goes to `errors` (a file), or nowhere.
    public init(script: String, arguments: [String], errors: String? = nil) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Peers/\(script)").standardized.path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [path] + arguments
        process.standardOutput = output
        if let errors {
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        var printed = Data()
        while !printed.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        firstLine = String(decoding: printed.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Runs `Tests/Peers/<script> <port> <storage> <arguments…>`, the API servers' convention.
    public convenience init(script: String, port: Int, storage: String, arguments: [String] = []) throws {
        try self.init(script: script, arguments: ["\(port)", storage] + arguments)
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
