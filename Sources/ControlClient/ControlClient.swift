import ControlContract
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RecorderCore

/// Talks HTTP/1.1 to `roomrecd`'s control socket: one request per connection.
public struct ControlClient: Sendable {
    /// A response: the status and the body as received.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data

        /// The body decoded as `T` (dates in ISO 8601).
        public func decode<T: Decodable>(_ type: T.Type) throws -> T { try ControlJSON.decoder().decode(type, from: body) }

        /// The problem body of an error response, if it has one.
        public var problem: Problem? { try? decode(Problem.self) }

        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The socket could not be reached.
    public struct ConnectionError: Error, CustomStringConvertible {
        public let socketPath: String
        public let underlying: String
        public var description: String {
            "cannot reach roomrecd at \(socketPath): \(underlying) (is the daemon running? `systemctl status roomrec`)"
        }
    }

    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// A new HTTP/1.1 connection to the socket.
    private func connect() async throws -> Connection {
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ConnectionError(socketPath: socketPath, underlying: "\(error)")
        }
    }

    /// Sends one request and returns the whole response.
    public func send(_ method: String, _ path: String, json body: Data? = nil, headers extra: [(String, String)] = []) async throws -> Response {
        let connection = try await connect()
        return try await connection.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "roomrecd")
            headers.add(name: "Connection", value: "close")
            headers.add(name: "Accept", value: "application/json")
            for (name, value) in extra { headers.add(name: name, value: value) }
            if let body {
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(body.count)")
            } else if method != "GET" {
                headers.add(name: "Content-Length", value: "0")
            }
            // The whole request goes to the channel in one write. Written part by part, the daemon could have the
            // complete request (its length says where it ends) and answer and close before the client handed over
            // `.end`, which carries no bytes; that last write would then fail with "I/O on closed channel".
            var request: [HTTPClientRequestPart] = [.head(HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: headers))]
            if let body { request.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            request.append(.end(nil))
            try await outbound.write(contentsOf: request)

            var status = 0
            var responseHeaders: [(String, String)] = []
            var collected = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let head):
                    status = Int(head.status.code)
                    responseHeaders = head.headers.map { ($0.name, $0.value) }
                case .body(var chunk):
                    collected.writeBuffer(&chunk)
                case .end:
                    return Response(status: status, headers: responseHeaders, body: Data(collected.readableBytesView))
                }
            }
            throw ConnectionError(socketPath: socketPath, underlying: "the connection closed before the response ended")
        }
    }

    /// Follows a streamed response (`GET /v1/events`), handing each Server-Sent Event to `handle` until it
    /// returns false or the daemon ends the stream. Returns the response's status (the events only when 200).
    @discardableResult
    public func follow(_ path: String, _ handle: @escaping (ServerSentEvent) async throws -> Bool) async throws -> Int {
        let connection = try await connect()
        return try await connection.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "roomrecd")
            headers.add(name: "Accept", value: "text/event-stream")
            try await outbound.write(contentsOf: [.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)), .end(nil)])
            var status = 0
            var parser = ServerSentEvent.Parser()
            for try await part in inbound {
                switch part {
                case .head(let head):
                    status = Int(head.status.code)
                    if status != 200 { return status }
                case .body(let chunk):
                    for event in parser.feed(String(decoding: chunk.readableBytesView, as: UTF8.self)) {
                        if try await !handle(event) { return status }
                    }
                case .end:
                    return status
                }
            }
            return status
        }
    }

    /// Sends `value` as the JSON body.
    public func send<T: Encodable>(_ method: String, _ path: String, body value: T) async throws -> Response {
        try await send(method, path, json: try ControlJSON.encoder().encode(value))
    }
}

/// One Server-Sent Event: its id, type and data.
public struct ServerSentEvent: Equatable, Sendable {
    public var id: String?
    public var event: String?
    public var data: String

    /// Splits a text/event-stream into events as chunks arrive (comments are skipped).
    public struct Parser: Sendable {
        private var buffer = ""

        public init() {}

        public mutating func feed(_ text: String) -> [ServerSentEvent] {
            buffer += text
            var events: [ServerSentEvent] = []
            while let end = buffer.range(of: "\n\n") {
                let block = buffer[..<end.lowerBound]
                buffer.removeSubrange(..<end.upperBound)
                var event = ServerSentEvent(id: nil, event: nil, data: "")
                var hasData = false
                for line in block.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix(":") {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    let field = String(parts[0])
                    let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                    switch field {
                    case "id": event.id = value
                    case "event": event.event = value
                    case "data":
                        event.data += (hasData ? "\n" : "") + value
                        hasData = true
                    default: break
                    }
                }
                if hasData { events.append(event) }
            }
            return events
        }
    }
}
