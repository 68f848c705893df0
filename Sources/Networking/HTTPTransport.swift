import AsyncHTTPClient
import DurableFiles
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The process's one HTTP client, for the media library (S3, Kaltura), Janus and calendar feeds: AsyncHTTPClient
/// (SwiftNIO; TLS through swift-nio-ssl with the system's trust store) with one connection pool, like NIO's
/// singletons and `HTTPClient.shared`, so nothing needs shutting down from a `deinit`. Each request has a deadline
/// of its own: how long to wait without progress (a byte of the body sent, or the answer), so a slow upload
/// of a large body is never cut while a server that stops answering is. Request bodies are streamed from the
/// recording's file as the server takes them, so a part of any size costs a buffer of ``chunkSize`` in memory.
public struct HTTPTransport: Sendable {
    /// A piece of a request body: bytes, or a range of a file read as it is sent.
    public enum BodyPart: Sendable {
        case bytes(Data)
        case file(path: String, offset: Int64, length: Int64)

        var length: Int64 {
            switch self {
            case .bytes(let data): Int64(data.count)
            case .file(_, _, let length): length
            }
        }
    }

    /// An answer: its status, its headers (names in lower case) and its body.
    public struct Response: Sendable {
        public var status: Int
        /// Every value of each header, in order: a field that may repeat (WHIP's `Link`) is read here.
        public var headerValues: [String: [String]]
        public var body: Data

        /// Each header's last value.
        public var headers: [String: String] { headerValues.compactMapValues(\.last) }
    }

    /// A request that got no answer: refused, reset, timed out, a name that did not resolve. Worth a retry.
    public struct NetworkError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "network: \(reason)" }
    }

    /// A file sent as a body changed size while it was sent: sending it again cannot help.
    public struct FileChanged: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) changed while it was uploaded" }
    }

    /// Bytes read from a file at a time while a body is sent.
    static let chunkSize = 256 << 10

    private let client: HTTPClient
    /// How long a request may go without progress.
    private let timeout: Duration

    /// How a server is talked to, where it differs from the process's default client: a platform whose
    /// redirects mean something (Opencast answers a missing login with a redirect to its login page), or a site
    /// whose certificates come from its own CA.
    public struct Options: Hashable, Sendable {
        /// Follow redirects (the default client does, for calendar feeds behind short links).
        public var followRedirects = true
        /// Extra trust roots (PEM), added to the system's.
        public var caFile: String?
        /// Check the server's certificate; only a site that says so in its configuration turns this off.
        public var verifyCertificates = true

        public init(followRedirects: Bool = true, caFile: String? = nil, verifyCertificates: Bool = true) {
            self.followRedirects = followRedirects
            self.caFile = caFile
            self.verifyCertificates = verifyCertificates
        }
    }

    /// The clients by their options, each made once and kept for the life of the process like the default one:
    /// an AsyncHTTPClient must be shut down before it is released, and a pool per option set is what a reload
    /// may ask for again.
    private static let clients = Mutex<[Options: HTTPClient]>([:])

    /// The client for a set of options: the default one, or one made for them.
    private static func client(for options: Options) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[options] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(30), read: .seconds(300))
            configuration.httpVersion = .http1Only
            // A refused or unreachable server fails the request at once: the upload queue's back-off (and the
            // calendar's next poll, the session's rejoin) decide when to try again, not a retry loop in the client.
            configuration.connectionPool.retryConnectionEstablishment = false
            if !options.followRedirects { configuration.redirectConfiguration = .disallow }
            if options.caFile != nil || !options.verifyCertificates {
                var tls = TLSConfiguration.makeClientConfiguration()
                if let file = options.caFile { tls.additionalTrustRoots = [.file(file)] }
                if !options.verifyCertificates { tls.certificateVerification = .none }
                configuration.tlsConfiguration = tls
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[options] = client
            return client
        }
    }

    /// A client with `options` whose requests fail after `timeout` seconds without progress: to connect, between
    /// pieces of the body, and for the answer once the body is sent.
    public init(timeout: TimeInterval = 120, options: Options = Options()) {
        client = Self.client(for: options)
        self.timeout = .milliseconds(Int64(timeout * 1000))
    }

    /// Sends a request and collects its answer (at most 16 MiB of it). File content in the body is read in pieces
    /// of ``chunkSize``, each taken from `throttle` first, so a bandwidth cap holds smoothly within a part. Fails
    /// with ``NetworkError`` after the transport's timeout without progress.
    public func send(_ method: String, url: URL, headers: [String: String], body: [BodyPart] = [], throttle: Throttle? = nil) async throws -> Response {
        let progress = Progress()
        do {
            return try await withThrowingTaskGroup(of: Response?.self) { [client, timeout] group in
                group.addTask {
                    var request = HTTPClientRequest(url: url.absoluteString)
                    request.method = HTTPMethod(rawValue: method)
                    for (name, value) in headers { request.headers.add(name: name, value: value) }
                    let length = body.reduce(Int64(0)) { $0 + $1.length }
                    if length > 0 || method == "PUT" || method == "POST" {
                        request.body = .stream(BodyStream(parts: body, throttle: throttle, progress: progress), length: .known(length))
                    }
                    let response = try await client.execute(request, deadline: .now() + .hours(24))
                    progress.mark()
                    let collected = try await response.body.collect(upTo: 16 << 20)
                    var values: [String: [String]] = [:]
                    for header in response.headers { values[header.name.lowercased(), default: []].append(header.value) }
                    return Response(status: Int(response.status.code), headerValues: values, body: Data(collected.readableBytesView))
                }
                group.addTask {
                    try await progress.expire(after: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let response = next { return response }
                }
                throw CancellationError()
            }
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as FileChanged {
            throw error
        } catch let error as NetworkError {
            throw NetworkError(reason: "\(method) \(url.host ?? ""): \(error.reason)")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw NetworkError(reason: "\(method) \(url.host ?? ""): \(error)")
        }
    }

    /// When a request last made progress, and the deadline that follows from it.
    final class Progress: Sendable {
        private let last = Atomic<Int64>(Progress.now())

        func mark() { last.store(Self.now(), ordering: .relaxed) }

        /// Returns never; throws ``NetworkError`` once `timeout` passed without progress (or the task is cancelled).
        func expire(after timeout: Duration) async throws {
            let limit = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            while true {
                let idle = Self.now() - last.load(ordering: .relaxed)
                if idle >= limit { throw NetworkError(reason: "no progress for \(limit / 1_000_000_000) s") }
                try await Task.sleep(for: .nanoseconds(limit - idle))
            }
        }

        private static func now() -> Int64 {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
        }
    }

    /// A body read piece by piece as the connection takes it.
    struct BodyStream: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let parts: [BodyPart]
        let throttle: Throttle?
        let progress: Progress

        func makeAsyncIterator() -> Iterator { Iterator(parts: parts, throttle: throttle, progress: progress) }

        struct Iterator: AsyncIteratorProtocol {
            var parts: [BodyPart]
            let throttle: Throttle?
            let progress: Progress
            var index = 0
            var sent: Int64 = 0
            var handle: FileHandle?

            mutating func next() async throws -> ByteBuffer? {
                while index < parts.count {
                    switch parts[index] {
                    case .bytes(let data):
                        index += 1
                        progress.mark()
                        if !data.isEmpty { return ByteBuffer(bytes: data) }
                    case .file(let path, let offset, let length):
                        guard sent < length else {
                            try? handle?.close()
                            handle = nil
                            sent = 0
                            index += 1
                            continue
                        }
                        if handle == nil {
                            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                            try handle!.seek(toOffset: UInt64(offset))
                        }
                        let count = Int(Swift.min(Int64(HTTPTransport.chunkSize), length - sent))
                        try await throttle?.take(count)
                        let reader = handle!
                        let data = try await BlockingIO.run { try reader.read(upToCount: count) ?? Data() }
                        guard data.count == count else { throw FileChanged(path: path) }
                        sent += Int64(count)
                        progress.mark()
                        return ByteBuffer(bytes: data)
                    }
                }
                return nil
            }
        }
    }
}
