import Foundation

/// A real S3-compatible server for tests: moto's standalone server (`moto_server`, from PyPI, installed by
/// `make test-peers` into out/test-venv) on 127.0.0.1, and boto3 from the same environment as an independent
/// client to check what arrived.
public final class MotoServer: @unchecked Sendable {
    /// The Python environment holding moto and boto3: `$ROOMREC_TEST_VENV`, else `<repo>/out/test-venv`.
    public static var venv: String {
        if let venv = ProcessInfo.processInfo.environment["ROOMREC_TEST_VENV"] { return venv }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../out/test-venv").standardized.path
    }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "\(venv)/bin/moto_server") }

    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let process = Process()

    public init() throws {
        port = LoopbackPort.free()
        process.executableURL = URL(fileURLWithPath: "\(Self.venv)/bin/moto_server")
        process.arguments = ["-H", "127.0.0.1", "-p", "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Python takes seconds to import moto on a loaded machine: wait up to 60 s for the port to answer.
        for _ in 0..<600 {
            if Self.accepts(port: port) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ProcessRunner.Failure(message: "moto_server did not start on port \(port)")
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Stops the server (its state is disposable: SIGKILL, as moto's development server may not stop on SIGTERM).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }

    /// Runs Python code in the test environment with a boto3 client `s3` for this server in scope.
    @discardableResult
    public func boto(_ code: String, _ arguments: [String] = []) throws -> ProcessRunner.Output {
        let prelude = """
            import boto3, hashlib, json, sys
            s3 = boto3.client("s3", endpoint_url="\(endpoint)", region_name="us-east-1",
                              aws_access_key_id="AKIDTEST", aws_secret_access_key="SECRETTEST")

            """
        let output = try python(prelude + code, arguments)
        guard output.status == 0 else { throw ProcessRunner.Failure(message: "boto3 failed: \(output.stderr)") }
        return output
    }

    public func createBucket(_ name: String) throws { try boto("s3.create_bucket(Bucket=sys.argv[1])", [name]) }

    /// An object's size, SHA-256 and metadata, as boto3 reads them.
    public func object(bucket: String, key: String) throws -> (size: Int, sha256: String, metadata: [String: String]) {
        let output = try boto("""
            o = s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])
            body = o["Body"].read()
            print(json.dumps({"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "metadata": o["Metadata"]}))
            """, [bucket, key])
        let json = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as! [String: Any]
        return (json["size"] as! Int, json["sha256"] as! String, json["metadata"] as! [String: String])
    }

    /// Keys in the bucket, and multipart uploads still open in it.
    public func contents(bucket: String) throws -> (keys: [String], openUploads: Int) {
        let output = try boto("""
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sys.argv[1]).get("Contents", [])]
            uploads = s3.list_multipart_uploads(Bucket=sys.argv[1]).get("Uploads", [])
            print(json.dumps({"keys": keys, "uploads": len(uploads)}))
            """, [bucket])
        let json = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as! [String: Any]
        return (json["keys"] as! [String], json["uploads"] as! Int)
    }

    private func python(_ code: String, _ arguments: [String] = []) throws -> ProcessRunner.Output {
        try ProcessRunner.run("\(Self.venv)/bin/python", ["-c", code] + arguments)
    }
}

/// `Tests/Peers/fault_proxy.py` in front of a server: requests pass, or are reset, lost, delayed or answered
/// 500/503, following a plan, one entry per request.
public final class FaultProxy: @unchecked Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let process = Process()
    private let output = Pipe()

    public init(upstreamPort: Int, plan: [String]) throws {
        port = LoopbackPort.free()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Peers/fault_proxy.py").standardized.path
        process.executableURL = URL(fileURLWithPath: "\(MotoServer.venv)/bin/python")
        process.arguments = [script, "\(port)", "\(upstreamPort)", plan.joined(separator: ",")]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says it listens.
        _ = output.fileHandleForReading.availableData
    }

    /// Stops the proxy and returns what it did with each request ("N MODE METHOD PATH").
    public func stop() -> [String] {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { $0 != "listening" }
    }

    deinit { _ = stop() }
}
