import Foundation
import Networking

/// Reads an S3 access key from a file in the AWS CLI's credentials format (`aws_access_key_id = …`,
/// `aws_secret_access_key = …`, optionally `aws_session_token = …`; a `[section]` line is allowed). The file must
/// be readable by its owner only, or come from systemd's `LoadCredential=` (`$CREDENTIALS_DIRECTORY/<name>`).
public enum S3Credentials {
    /// A credentials file that cannot be used.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(_ configured: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SigV4Signer.Credentials {
        let (text, path): (String, String)
        do { (text, path) = try SecretFile.read(configured, what: "S3 credentials", environment: environment) } catch {
            throw Failure(description: "\(error)")
        }
        var values: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || (line.hasPrefix("[") && line.hasSuffix("]")) { continue }
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw Failure(description: "\(path):\(number + 1): expected key = value") }
            values[parts[0].trimmingCharacters(in: .whitespaces).lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        guard let id = values["aws_access_key_id"], !id.isEmpty, let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            throw Failure(description: "\(path): needs aws_access_key_id and aws_secret_access_key")
        }
        return SigV4Signer.Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: values["aws_session_token"])
    }
}
