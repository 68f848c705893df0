import Crypto
import Foundation

/// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
/// signs a request with an access key, for S3 and every S3-compatible store. Checked against AWS's published
/// test suite.
public struct SigV4Signer: Sendable {
    /// An access key pair.
    public struct Credentials: Equatable, Sendable {
        public var accessKeyId: String
        public var secretAccessKey: String
        public var sessionToken: String?

        public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The headers to add to a request: `Authorization`, `X-Amz-Date` (unless given) and, with a session token,
    /// `X-Amz-Security-Token`. `headers` must hold `Host` and every header that will be sent and signed;
    /// `payloadHash` is the hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
    public func sign(method: String, url: URL, headers: [String: String], payloadHash: String, date: Date) -> [String: String] {
        var all = headers
        let stamp = Self.timestamp(date)
        if !all.keys.contains(where: { $0.lowercased() == "x-amz-date" }) { all["X-Amz-Date"] = stamp }
        if let token = credentials.sessionToken { all["X-Amz-Security-Token"] = token }
        let amzDate = all.first { $0.key.lowercased() == "x-amz-date" }!.value
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"

        let canonical = canonicalRequest(method: method, url: url, headers: all, payloadHash: payloadHash)
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, FileDigest.hex(SHA256.hash(data: Data(canonical.request.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = FileDigest.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        var added = ["Authorization": "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"]
        if !headers.keys.contains(where: { $0.lowercased() == "x-amz-date" }) { added["X-Amz-Date"] = stamp }
        if let token = credentials.sessionToken { added["X-Amz-Security-Token"] = token }
        return added
    }

    /// The canonical request and the signed header list (exposed for tests).
    func canonicalRequest(method: String, url: URL, headers: [String: String], payloadHash: String) -> (request: String, signedHeaders: String) {
        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            // Lower-case names; trim values and fold runs of spaces into one.
            let folded = value.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            grouped[name.lowercased(), default: []].append(folded)
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let request = [method, Self.canonicalPath(url), Self.canonicalQuery(url), canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
        return (request, signedHeaders)
    }

    /// The path, each segment URI-encoded once (S3 does not normalize or double-encode).
    static func canonicalPath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? "/"
        guard !path.isEmpty else { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode(String($0).removingPercentEncoding ?? String($0)) }.joined(separator: "/")
    }

    /// The query, parameters sorted by encoded name then value, each URI-encoded.
    static func canonicalQuery(_ url: URL) -> String {
        guard let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQueryItems else { return "" }
        return items.map { (uriEncode($0.name.removingPercentEncoding ?? $0.name), uriEncode(($0.value ?? "").removingPercentEncoding ?? ($0.value ?? ""))) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// RFC 3986 encoding of everything but the unreserved characters.
    public static func uriEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.append(Character(Unicode.Scalar(byte)))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// Hex SHA-256 of `data`, for `x-amz-content-sha256`.
    public static func payloadHash(_ data: Data) -> String { FileDigest.hex(SHA256.hash(data: data)) }
}
