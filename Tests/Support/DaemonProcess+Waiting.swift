import ControlClient
import ControlContract
import Foundation
import RecorderCore

extension DaemonProcess {
    /// The recording in progress, once there is one (`attempts` looks at `GET /v1/status`, 100 ms apart).
    public func waitForRecording(attempts: Int = 50) async throws -> Recording? {
        for _ in 0..<attempts {
            if let current = try await client.send("GET", "/v1/status").decode(StatusReport.self).current { return current }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Waits up to `seconds` until `GET /v1/status` satisfies `condition`, and returns that status; the failure
    /// names `what` and has the daemon's log, and `otherLogs` (a server the test runs beside it).
    @discardableResult
    public func waitForStatus(_ what: String, seconds: Double = 30, otherLogs: () -> String = { "" },
                              _ condition: (StatusReport) -> Bool) async throws -> StatusReport {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let report = try await client.send("GET", "/v1/status").decode(StatusReport.self)
            if condition(report) { return report }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessRunner.Failure(message: "\(what) never showed in status; log:\n\(log())\(otherLogs())")
    }

    /// Waits up to `seconds` until recording `id` is finished and filed (no longer in progress, its size known), and
    /// returns it; the failure has the daemon's log.
    public func waitUntilFiled(_ id: String, seconds: Double = 10) async throws -> Recording {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let recording = try await client.send("GET", "/v1/recordings/\(id)").decode(Recording.self)
            if !recording.status.isInProgress, recording.size != nil { return recording }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessRunner.Failure(message: "recording \(id) never finished; log:\n\(log())")
    }

    /// Stops the recording in progress, `id`, and returns it once it is finished and filed.
    public func stopAndWaitUntilFiled(_ id: String, seconds: Double = 10) async throws -> Recording {
        _ = try await client.send("POST", "/v1/recordings/current/stop")
        return try await waitUntilFiled(id, seconds: seconds)
    }
}

extension KalturaServer {
    /// `[library]` for the `kaltura` target against this server, with the app token written to a mode-600 file in
    /// `root`.
    public func librarySection(root: TemporaryDirectory, extra: String = "") throws -> String {
        let tokenFile = "\(root.path)/kaltura-app-token"
        try "\(Self.appToken)\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        return """
            [library]
            target = "kaltura"
            path = "\(root.path)/library"

            [library.kaltura]
            service_url = "\(serviceURL)"
            partner_id = \(Self.partnerId)
            app_token_id = "\(Self.appTokenId)"
            app_token_file = "\(tokenFile)"
            app_token_hash_type = "SHA256"
            category_id = 77
            \(extra)
            """
    }
}
