import Foundation
import Networking
import RecorderCore

/// Calls the Kaltura API v3: `POST <service url>/api_v3/service/<service>/action/<action>` with the parameters as
/// `multipart/form-data` fields (nested objects flattened as `entry:name`), answered as JSON (`format=1`).
/// An answer that is a `KalturaAPIException` object becomes an ``APIError``.
public struct KalturaClient: Sendable {
    /// A `KalturaAPIException` answer, or an HTTP error status.
    public struct APIError: RetryAfterError, CustomStringConvertible {
        /// Kaltura's error code, e.g. `ENTRY_ID_NOT_FOUND`; `HTTP<status>` for an HTTP error.
        public var code: String
        public var message: String
        /// The HTTP status (200 for an exception object).
        public var status: Int
        public var retryAfter: TimeInterval?

        /// Errors a later attempt may not see: the server's own failures, and HTTP 5xx, 408 and 429.
        public var isTransient: Bool {
            status >= 500 || status == 408 || status == 429 || Self.transientCodes.contains(code)
        }

        /// The session expired or is not valid any more: start a new one and try again.
        public var isSessionError: Bool { code == "INVALID_KS" || code == "EXPIRED_KS" || code == "MISSING_KS" }

        // "INTERNAL_SERVERL_ERROR" is spelled so by Kaltura.
        static let transientCodes: Set<String> = ["INTERNAL_SERVERL_ERROR", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "MalformedResponse"]

        public var description: String { "Kaltura \(code): \(message)" }
    }

    /// A file part of a call (`uploadToken.upload`'s `fileData`): a range of a file, read as it is sent.
    public struct FilePart: Sendable {
        public var field: String
        public var filename: String
        public var path: String
        public var offset: Int64
        public var length: Int64
        /// The bandwidth limit its bytes are taken from.
        public var throttle: Throttle?

        public init(field: String, filename: String, path: String, offset: Int64, length: Int64, throttle: Throttle? = nil) {
            self.throttle = throttle
            self.field = field
            self.filename = filename
            self.path = path
            self.offset = offset
            self.length = length
        }
    }

    public let serviceURL: URL
    private let transport: HTTPTransport

    /// - Parameter timeout: seconds to wait for an answer once a request is sent.
    public init(serviceURL: URL, timeout: TimeInterval = 120) {
        self.serviceURL = serviceURL
        transport = HTTPTransport(timeout: timeout)
    }

    /// Calls `service.action` with `fields` (and `ks`, when given) and decodes the answer as `Result`.
    public func call<Result: Decodable>(_ service: String, _ action: String, ks: String?, _ fields: [(String, String)],
                                        file: FilePart? = nil, as type: Result.Type = Result.self) async throws -> Result {
        let data = try await send(service, action, ks: ks, fields, file: file)
        do {
            return try JSONDecoder().decode(Result.self, from: data)
        } catch {
            throw APIError(code: "MalformedResponse", message: "\(service).\(action) answered what is not a \(Result.self): \(error)", status: 200)
        }
    }

    /// The answer of an action when nothing in it is needed (`null` for `delete`, the object `add` made).
    public struct Nothing: Decodable, Sendable {
        public init(from decoder: any Decoder) {}
    }

    private func send(_ service: String, _ action: String, ks: String?, _ fields: [(String, String)], file: FilePart?) async throws -> Data {
        var form = MultipartForm()
        form.add("format", "1")
        if let ks { form.add("ks", ks) }
        for (name, value) in fields { form.add(name, value) }
        if let file { form.addFile(file.field, filename: file.filename, content: .file(path: file.path, offset: file.offset, length: file.length)) }

        let url = serviceURL.appendingPathComponent("api_v3/service/\(service)/action/\(action)")
        let response = try await transport.send("POST", url: url, headers: ["Content-Type": form.contentType, "Accept": "application/json"],
                                                body: form.finish(), throttle: file?.throttle)
        guard (200..<300).contains(response.status) else {
            throw APIError(code: "HTTP\(response.status)", message: "\(service).\(action): HTTP \(response.status)", status: response.status,
                           retryAfter: RetryPolicy.retryAfter(response.headers["retry-after"]))
        }
        let data = response.body
        if let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any],
           object["objectType"] as? String == "KalturaAPIException" {
            throw APIError(code: object["code"] as? String ?? "UNKNOWN", message: object["message"] as? String ?? "", status: 200)
        }
        return data
    }
}
