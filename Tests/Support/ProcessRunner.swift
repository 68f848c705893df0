import Foundation

/// Runs a program to completion and collects what it printed.
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }

    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Output {
        let (status, out, err) = try execute(executable, arguments, environment: environment)
        return Output(status: status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs a command whose output is binary (decoded media, say); throws with its stderr unless it exits 0.
    public static func runData(_ executable: String, _ arguments: [String]) throws -> Data {
        let (status, out, err) = try execute(executable, arguments, environment: nil)
        guard status == 0 else {
            throw Failure(message: "\(executable) \(arguments.joined(separator: " ")) exited \(status): \(String(decoding: err, as: UTF8.self))")
        }
        return out
    }

    private static func execute(_ executable: String, _ arguments: [String], environment: [String: String]?) throws -> (Int32, Data, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs, so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, outData, errData)
    }
}

extension Process {
    /// Sends what the process prints (output and errors) to the end of the log file at `path`, made if missing,
    /// so one file keeps every run of a server that is restarted.
    public func appendOutput(toLog path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try log.seekToEnd()
        standardOutput = log
        standardError = log
    }

    /// Waits until `ready` says the server it runs answers, looking every `interval` seconds for at most
    /// `attempts` looks; false if it did not, or if the process ended first.
    public func waitUntilReady(attempts: Int, interval: Double, _ ready: () -> Bool) -> Bool {
        for _ in 0..<attempts {
            if ready() { return true }
            guard isRunning else { return false }
            Thread.sleep(forTimeInterval: interval)
        }
        return false
    }
}
