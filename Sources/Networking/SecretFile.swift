import Foundation

/// Reads a secret a server needs (S3 keys, a Kaltura app token, a WHIP bearer token) from a file that only the service user may
/// read, or from systemd's `LoadCredential=` (`$CREDENTIALS_DIRECTORY/<name>`, which systemd protects).
public enum SecretFile {
    /// A secret file that cannot be used.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The file a configured secret names: the path itself, or `$CREDENTIALS_DIRECTORY/<name>` resolved; nil when
    /// that variable is not set.
    public static func path(of configured: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard configured.hasPrefix("$CREDENTIALS_DIRECTORY/") else { return configured }
        return environment["CREDENTIALS_DIRECTORY"].map { $0 + "/" + configured.dropFirst("$CREDENTIALS_DIRECTORY/".count) }
    }

    /// The file's text and the path it was read from. `what` names the secret in errors.
    public static func read(_ configured: String, what: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (text: String, path: String) {
        let fromSystemd = configured.hasPrefix("$CREDENTIALS_DIRECTORY/")
        guard let path = Self.path(of: configured, environment: environment) else {
            throw Failure(description: "\(configured): $CREDENTIALS_DIRECTORY is not set (add LoadCredential= to the service)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(description: "cannot read the \(what) file \(path): \(String(cString: strerror(errno)))") }
        if !fromSystemd, info.st_mode & 0o077 != 0 {
            throw Failure(description: "the \(what) file \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        do {
            return (try String(contentsOfFile: path, encoding: .utf8), path)
        } catch {
            throw Failure(description: "cannot read the \(what) file \(path): \(error.localizedDescription)")
        }
    }
}
