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
