import DurableFiles
import Foundation
import Networking
import RecorderCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The S3 operations a resumable multipart upload needs, signed with ``SigV4Signer``, over ``HTTPTransport`` (HTTP
/// or HTTPS). Works with AWS S3 and S3-compatible stores (MinIO, Ceph RGW, …), path-style or virtual-hosted.
public struct S3Client: Sendable {
    /// Where the bucket is and how to address it.
    public struct Endpoint: Equatable, Sendable {
        /// e.g. `https://s3.eu-central-1.amazonaws.com` or `http://127.0.0.1:9000`.
        public var url: URL
        public var bucket: String
        /// `https://host/bucket/key` when true, `https://bucket.host/key` when false.
        public var pathStyle: Bool

        public init(url: URL, bucket: String, pathStyle: Bool) {
            self.url = url
            self.bucket = bucket
            self.pathStyle = pathStyle
        }
    }

    /// An error answer: its HTTP status and S3's `<Code>` and `<Message>`.
    public struct ServiceError: RetryAfterError, CustomStringConvertible {
        public var status: Int
        public var code: String
        public var message: String
        public var retryAfter: TimeInterval?

        /// 5xx, 408, 429 and the codes S3 documents as worth retrying may pass; other 4xx will not.
        public var isTransient: Bool {
            status >= 500 || status == 408 || status == 429 || status == 0 || Self.transientCodes.contains(code)
        }

        static let transientCodes: Set<String> = [
            "RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "OperationAborted", "RequestTimeTooSkewed",
            "NoSuchUpload", "NoResponse", "MalformedResponse", "BadDigest", "XAmzContentSHA256Mismatch",
        ]
        public var description: String { "S3 \(status) \(code): \(message)" }
    }

    /// A part S3 holds of an unfinished upload.
    public struct Part: Equatable, Sendable {
        public var number: Int
        public var etag: String
        public var size: Int64
        /// The part's SHA-256 (base64), as the store checked and keeps it; nil without checksums.
        public var checksum: String? = nil
    }

    public let endpoint: Endpoint
    public let signer: SigV4Signer
    /// Whether uploads carry S3's additional checksums (`x-amz-checksum-algorithm: SHA256`): the store checks
    /// each part against its SHA-256, keeps it, and lists it, so a resumed upload can check the parts it keeps.
    /// Off only for stores too old to know them.
    public let checksums: Bool
    private let transport: HTTPTransport

    /// - Parameter timeout: seconds to wait for an answer once a request is sent.
    public init(endpoint: Endpoint, signer: SigV4Signer, checksums: Bool = true, timeout: TimeInterval = 120) {
        self.endpoint = endpoint
        self.signer = signer
        self.checksums = checksums
        transport = HTTPTransport(timeout: timeout)
    }

    // MARK: Operations

    /// Starts a multipart upload; returns its upload id. `metadata` becomes `x-amz-meta-*`.
    public func createMultipartUpload(key: String, contentType: String, metadata: [String: String]) async throws -> String {
        var headers = ["Content-Type": contentType]
        if checksums { headers["x-amz-checksum-algorithm"] = "SHA256" }
        for (name, value) in metadata { headers["x-amz-meta-\(name)"] = Self.headerSafe(value) }
        let (_, body) = try await send("POST", key: key, query: [("uploads", "")], headers: headers)
        guard let id = XMLFields.values(named: "UploadId", in: body).first else {
            throw ServiceError(status: 200, code: "MalformedResponse", message: "no UploadId in the answer to CreateMultipartUpload")
        }
        return id
    }

    /// Uploads one part: `length` bytes of the file at `path` from `offset`, read as they are sent. Its SHA-256 is
    /// signed (`x-amz-content-sha256`) and, with ``checksums``, sent as `x-amz-checksum-sha256` too: the store
    /// refuses a part damaged on the way (`XAmzContentSHA256Mismatch`, `BadDigest`), and the checksum it answers
    /// is compared with ours.
    public func uploadPart(key: String, uploadId: String, number: Int, path: String, offset: Int64, length: Int64,
                           throttle: Throttle? = nil) async throws -> Part {
        let digest = try await BlockingIO.run { try FileDigest.sha256Digest(path: path, offset: offset, length: length) }
        let checksum = digest.base64EncodedString()
        var headers = ["Content-Type": "application/octet-stream"]
        if checksums { headers["x-amz-checksum-sha256"] = checksum }
        let (answered, _) = try await send("PUT", key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadId)], headers: headers,
                                           parts: [.file(path: path, offset: offset, length: length)], payloadHash: FileDigest.hex(digest),
                                           throttle: throttle)
        guard let etag = answered["etag"] else { throw ServiceError(status: 200, code: "MalformedResponse", message: "no ETag for part \(number)") }
        if checksums, let stored = answered["x-amz-checksum-sha256"], stored != checksum {
            throw ServiceError(status: 200, code: "BadDigest", message: "part \(number): the store holds SHA-256 \(stored), we sent \(checksum)")
        }
        return Part(number: number, etag: etag, size: length, checksum: checksums ? checksum : nil)
    }

    /// The parts an unfinished upload holds, in order; nil when the upload does not exist (completed or aborted).
    public func listParts(key: String, uploadId: String) async throws -> [Part]? {
        var parts: [Part] = []
        var marker = "0"
        while true {
            let body: Data
            do {
                (_, body) = try await send("GET", key: key, query: [("part-number-marker", marker), ("uploadId", uploadId)])
            } catch let error as ServiceError where error.code == "NoSuchUpload" || error.status == 404 {
                return nil
            }
            let numbers = XMLFields.values(named: "PartNumber", in: body).compactMap(Int.init)
            let etags = XMLFields.values(named: "ETag", in: body)
            let sizes = XMLFields.values(named: "Size", in: body).compactMap(Int64.init)
            guard numbers.count == etags.count, numbers.count == sizes.count else {
                throw ServiceError(status: 200, code: "MalformedResponse", message: "ListParts answered \(numbers.count) parts with \(etags.count) ETags")
            }
            // Every part of an upload with checksums has one; otherwise none is listed.
            let checksums = XMLFields.values(named: "ChecksumSHA256", in: body)
            for index in numbers.indices {
                parts.append(Part(number: numbers[index], etag: etags[index], size: sizes[index],
                                  checksum: checksums.count == numbers.count ? checksums[index] : nil))
            }
            guard XMLFields.values(named: "IsTruncated", in: body).first == "true",
                  let next = XMLFields.values(named: "NextPartNumberMarker", in: body).first else { break }
            marker = next
        }
        return parts.sorted { $0.number < $1.number }
    }

    public func completeMultipartUpload(key: String, uploadId: String, parts: [Part]) async throws {
        let xml = "<CompleteMultipartUpload>" + parts.map {
            "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(XMLFields.escape($0.etag))</ETag>"
                + ($0.checksum.map { "<ChecksumSHA256>\($0)</ChecksumSHA256>" } ?? "") + "</Part>"
        }.joined() + "</CompleteMultipartUpload>"
        let (_, body) = try await send("POST", key: key, query: [("uploadId", uploadId)], headers: ["Content-Type": "application/xml"],
                                       body: Data(xml.utf8))
        // S3 may answer 200 with an error document when it fails late.
        if let code = XMLFields.values(named: "Code", in: body).first {
            throw ServiceError(status: 200, code: code, message: XMLFields.values(named: "Message", in: body).first ?? "")
        }
    }

    public func abortMultipartUpload(key: String, uploadId: String) async throws {
        _ = try await send("DELETE", key: key, query: [("uploadId", uploadId)])
    }

    /// The object's `x-amz-meta-*` metadata (names without the prefix), or nil when there is no such object (or
    /// when the key may not list the bucket, in which case S3 answers 403 for a missing object).
    public func headObject(key: String) async throws -> [String: String]? {
        do {
            let (headers, _) = try await send("HEAD", key: key)
            var metadata: [String: String] = [:]
            for (name, value) in headers where name.hasPrefix("x-amz-meta-") { metadata[String(name.dropFirst("x-amz-meta-".count))] = value }
            return metadata
        } catch let error as ServiceError where error.status == 404 || error.status == 403 {
            return nil
        }
    }

    /// Upload ids of the unfinished multipart uploads of exactly `key`.
    public func multipartUploads(key: String) async throws -> [String] {
        let (_, body) = try await send("GET", key: "", query: [("prefix", key), ("uploads", "")])
        let keys = XMLFields.values(named: "Key", in: body)
        let ids = XMLFields.values(named: "UploadId", in: body)
        return zip(keys, ids).filter { $0.0 == key }.map(\.1)
    }

    // MARK: Requests

    func url(key: String, query: [(String, String)]) -> URL {
        var components = URLComponents(url: endpoint.url, resolvingAgainstBaseURL: false)!
        let encodedKey = key.split(separator: "/", omittingEmptySubsequences: false).map { SigV4Signer.uriEncode(String($0)) }.joined(separator: "/")
        let base = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        if endpoint.pathStyle {
            components.percentEncodedPath = "\(base)/\(SigV4Signer.uriEncode(endpoint.bucket))" + (key.isEmpty ? "" : "/\(encodedKey)")
        } else {
            components.host = "\(endpoint.bucket).\(components.host ?? "")"
            components.percentEncodedPath = "\(base)/\(encodedKey)"
        }
        components.percentEncodedQuery = query.isEmpty ? nil
            : query.map { $0.1.isEmpty && $0.0 == "uploads" ? "uploads" : "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        return components.url!
    }

    /// Sends a signed request; returns the answer's headers (lower-case names) and body, or throws its error.
    func send(_ method: String, key: String, query: [(String, String)] = [], headers: [String: String] = [:],
              body: Data = Data()) async throws -> ([String: String], Data) {
        try await send(method, key: key, query: query, headers: headers, parts: body.isEmpty ? [] : [.bytes(body)],
                       payloadHash: SigV4Signer.payloadHash(body))
    }

    /// Sends a signed request whose body is `parts`, of SHA-256 `payloadHash`.
    func send(_ method: String, key: String, query: [(String, String)], headers: [String: String], parts: [HTTPTransport.BodyPart],
              payloadHash: String, throttle: Throttle? = nil) async throws -> ([String: String], Data) {
        let url = url(key: key, query: query)
        var host = url.host ?? ""
        if let port = url.port, !((url.scheme == "http" && port == 80) || (url.scheme == "https" && port == 443)) { host += ":\(port)" }
        var all = headers
        all["Host"] = host
        all["x-amz-content-sha256"] = payloadHash
        let signed = signer.sign(method: method, url: url, headers: all, payloadHash: payloadHash, date: Date())
        let response = try await transport.send(method, url: url, headers: all.merging(signed, uniquingKeysWith: { $1 }), body: parts,
                                                throttle: throttle)
        guard (200..<300).contains(response.status) else {
            let data = response.body
            throw ServiceError(status: response.status,
                               code: XMLFields.values(named: "Code", in: data).first ?? (response.status == 404 ? "NotFound" : "HTTP\(response.status)"),
                               message: XMLFields.values(named: "Message", in: data).first ?? "HTTP \(response.status)",
                               retryAfter: RetryPolicy.retryAfter(response.headers["retry-after"]))
        }
        return (response.headers, response.body)
    }

    /// Metadata values travel in HTTP headers: ASCII only, no line breaks.
    static func headerSafe(_ value: String) -> String {
        String(value.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "_" })
    }
}

/// Picks the text of elements by name out of S3's small XML answers.
enum XMLFields {
    static func values(named name: String, in data: Data) -> [String] {
        guard !data.isEmpty else { return [] }
        let collector = Collector(name: name)
        let parser = XMLParser(data: data)
        parser.delegate = collector
        _ = parser.parse()
        return collector.values
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private final class Collector: NSObject, XMLParserDelegate {
        let name: String
        var values: [String] = []
        private var current: String?

        init(name: String) { self.name = name }

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if element == name { current = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == name, let value = current { values.append(value) }
            if element == name { current = nil }
        }
    }
}
