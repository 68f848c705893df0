import AsyncHTTPClient
import DurableFiles
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP client of the upload targets: AsyncHTTPClient (SwiftNIO; TLS through swift-nio-ssl with the system's
/// trust store), with request bodies streamed from the recording's file as the server takes them, so a part of
/// any size costs a buffer of ``chunkSize`` in memory, not its size.
public final class HTTPTransport: Sendable {
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
        public var headers: [String: String]
        public var body: Data
    }

    /// A request that got no answer: refused, reset, timed out, a name that did not resolve. Worth a retry: the
    /// upload queue retries every error but a ``PermanentUploadError``.
    public struct NetworkError: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "network: \(reason)" }
    }

    /// Bytes read from a file at a time while a body is sent.
    static let chunkSize = 256 << 10

    private let client: HTTPClient

    /// - Parameter timeout: seconds to connect, and seconds without a byte of the answer once the request is sent.
    public init(timeout: TimeInterval = 120) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(Int64(min(timeout, 30))), read: .milliseconds(Int64(timeout * 1000)))
        configuration.httpVersion = .http1Only
        // A refused or unreachable server fails the request at once: the upload queue's back-off (and the
        // calendar's next poll) decide when to try again, not a retry loop hidden in the client.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    deinit {
        // The client must be shut down before it goes; the task keeps it until then.
        let client = self.client
        Task { try? await client.shutdown() }
    }

    /// Sends a request and collects its answer (at most 16 MiB of it). File content in the body is read in pieces
    /// of ``chunkSize``, each taken from `throttle` first, so a bandwidth cap holds smoothly within a part.
    public func send(_ method: String, url: URL, headers: [String: String], body: [BodyPart] = [], throttle: Throttle? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let length = body.reduce(Int64(0)) { $0 + $1.length }
        if length > 0 || method == "PUT" || method == "POST" {
            request.body = .stream(BodyStream(parts: body, throttle: throttle), length: .known(length))
        }
        do {
            // The read timeout bounds the wait for an answer; a large body may take as long as the link needs.
            let response = try await client.execute(request, deadline: .now() + .hours(24))
            let collected = try await response.body.collect(upTo: 16 << 20)
            var answered: [String: String] = [:]
            for header in response.headers { answered[header.name.lowercased()] = header.value }
            return Response(status: Int(response.status.code), headers: answered, body: Data(collected.readableBytesView))
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as PermanentUploadError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw NetworkError(reason: "\(method) \(url.host ?? ""): \(error)")
        }
    }

    /// A body read piece by piece as the connection takes it.
    struct BodyStream: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let parts: [BodyPart]
        let throttle: Throttle?

        func makeAsyncIterator() -> Iterator { Iterator(parts: parts, throttle: throttle) }

        struct Iterator: AsyncIteratorProtocol {
            var parts: [BodyPart]
            let throttle: Throttle?
            var index = 0
            var sent: Int64 = 0
            var handle: FileHandle?

            mutating func next() async throws -> ByteBuffer? {
                while index < parts.count {
                    switch parts[index] {
                    case .bytes(let data):
                        index += 1
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
                        guard data.count == count else { throw PermanentUploadError("\(path) changed while it was uploaded") }
                        sent += Int64(count)
                        return ByteBuffer(bytes: data)
                    }
                }
                return nil
            }
        }
    }
}
