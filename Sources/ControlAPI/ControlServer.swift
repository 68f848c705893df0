import ControlContract
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RecorderCore

/// Serves the control API as HTTP/1.1 over a Unix domain socket: on a socket systemd passed in (socket
/// activation), or on one it binds itself at a path, with the file's mode set. Each connection's caller is
/// read from the socket's peer credentials (`SO_PEERCRED`).
public struct ControlServer: Sendable {
    /// Where to listen.
    public enum Listener: Sendable {
        /// Bind a new socket at `path` (a stale socket file there is replaced), then give the file `mode` and,
        /// when set, the owner and group.
        case path(String, mode: mode_t, owner: uid_t? = nil, group: gid_t? = nil)
        /// Use a listening socket passed by systemd.
        case activated(Int32)
        /// The room panel's TCP address (`[panel] listen`): a caller there is a viewer, or an operator for a
        /// request with the operator's bearer token.
        case tcp(host: String, port: Int, operatorToken: String?)
        /// The panel's TCP socket passed by systemd (`roomrec-panel.socket`).
        case activatedTCP(Int32, operatorToken: String?)

        /// The token that makes a TCP caller an operator; nil for the Unix socket, where the peer's groups decide.
        var panelToken: String?? {
            switch self {
            case .path, .activated: nil
            case .tcp(_, _, let token), .activatedTCP(_, let token): .some(token)
            }
        }
    }

    /// Largest request body accepted.
    public static let maxBodyBytes = 1 << 20

    private let router: Router
    private let access: AccessPolicy
    private let logger: Logger

    /// `access` maps each connection's peer credentials to a role; routes check it.
    public init(router: Router, access: AccessPolicy, logger: Logger) {
        self.router = router
        self.access = access
        self.logger = logger
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// Serves until the task is cancelled. `onListening` runs once the socket accepts connections.
    public func run(_ listener: Listener, onListening: @Sendable () -> Void = {}) async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
        let access = self.access
        let router = self.router
        let onPanel = listener.panelToken != nil
        let initializer: @Sendable (Channel) -> EventLoopFuture<(Caller, Connection)> = { channel in
            // On the panel's TCP address nobody is known by their uid: a viewer, unless a request carries the token.
            let known = onPanel ? channel.eventLoop.makeSucceededFuture(Self.panelViewer) : Self.peerCredentials(of: channel, access: access)
            return known.flatMapThrowing { caller in
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                // A connection that neither sends nor receives for two minutes is closed (event streams send a
                // keep-alive every 15 s).
                try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(allTimeout: .seconds(120)), CloseOnIdle()])
                // On the panel's address every request passes the panel's gate first, so none is answered early.
                if !onPanel { try channel.pipeline.syncOperations.addHandler(ImmediateResponder(router: router, caller: caller)) }
                // Half-closure lets a response end with a FIN after its last byte is flushed, instead of a close
                // that could drop bytes still queued behind a full socket buffer.
                return (caller, try Connection(wrappingChannelSynchronously: channel,
                                               configuration: .init(isOutboundHalfClosureEnabled: true)))
            }
        }
        let server: NIOAsyncChannel<(Caller, Connection), Never>
        switch listener {
        case .path(let path, let mode, let owner, let group):
            server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            if owner != nil || group != nil, chown(path, owner ?? UInt32.max, group ?? UInt32.max) != 0 {
                throw ControlServerError("cannot give \(path) its owner and group: \(String(cString: strerror(errno)))")
            }
            guard chmod(path, mode) == 0 else {
                throw ControlServerError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
            }
        case .activated(let fd), .activatedTCP(let fd, _):
            server = try await bootstrap.bind(fd, childChannelInitializer: initializer)
        case .tcp(let host, let port, _):
            server = try await bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port, childChannelInitializer: initializer)
        }
        let panelToken = listener.panelToken
        onListening()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await (caller, connection) in connections {
                    group.addTask { await self.serve(connection, caller: caller, panelToken: panelToken) }
                }
            }
        }
    }

    /// Who calls on the panel's TCP address without the token.
    static let panelViewer = Caller(uid: UInt32.max, gid: UInt32.max, pid: 0, role: .viewer)

    /// Answers the requests of one connection in order, until the peer closes it or asks to. On the panel's
    /// address (`panelToken` not nil) each request's role comes from its bearer token, a request from another
    /// site's page is refused, and every answer carries the panel's security headers.
    private func serve(_ connection: Connection, caller connectionCaller: Caller, panelToken: String?? = nil) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        head = h
                        body.clear()
                        tooLarge = false
                    case .body(var chunk):
                        if body.readableBytes + chunk.readableBytes > Self.maxBodyBytes { tooLarge = true } else { body.writeBuffer(&chunk) }
                    case .end:
                        guard let requestHead = head else { continue }
                        var response: ControlResponse
                        var caller = connectionCaller
                        var refused: ControlResponse?
                        if let panelToken {
                            (caller, refused) = PanelGate.check(requestHead, token: panelToken, viewer: connectionCaller)
                        } else {
                            refused = PanelGate.crossSite(requestHead)
                        }
                        if tooLarge {
                            response = .problem(Problem(status: 413, title: "Content Too Large", detail: "a request body may be at most \(Self.maxBodyBytes) bytes"))
                        } else if let refused {
                            response = refused
                        } else {
                            let request = ControlRequest(requestHead, body: Data(body.readableBytesView), caller: caller)
                            response = await router.handle(request)
                            if requestHead.method != .GET && requestHead.method != .HEAD {
                                logger.info("control request", metadata: [
                                    "method": "\(requestHead.method.rawValue)", "path": "\(request.path)",
                                    "status": "\(response.status)", "uid": "\(caller.uid)", "pid": "\(caller.pid)",
                                ])
                            }
                        }
                        if panelToken != nil { response.headers += PanelRoutes.panelHeaders.filter { name, _ in !response.headers.contains { $0.0 == name } } }
                        try await write(response, to: outbound, version: requestHead.version, keepAlive: requestHead.isKeepAlive,
                                        withBody: requestHead.method != .HEAD)
                        head = nil
                        if !requestHead.isKeepAlive {
                            // Flush, send FIN, and wait for the client to close its side.
                            outbound.finish()
                        }
                    }
                }
            }
        } catch {
            logger.debug("control connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private func write(_ response: ControlResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                       version: HTTPVersion, keepAlive: Bool, withBody: Bool) async throws {
        let length: Int64? = switch response.body {
        case .data(let data): Int64(data.count)
        case .file(_, _, let length): length
        case .stream, .produce: nil  // chunked
        }
        try await outbound.write(.head(Self.responseHead(response, length: length, version: version, keepAlive: keepAlive)))
        if withBody {
            switch response.body {
            case .data(let data):
                if !data.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: data)))) }
            case .file(let path, let offset, let length):
                try await FileChunks.send(path: path, offset: offset, length: length) { chunk in
                    try await outbound.write(.body(.byteBuffer(chunk)))
                }
            case .stream(let chunks):
                for await chunk in chunks { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk)))) }
            case .produce(let producer):
                do {
                    try await producer { chunk in try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk)))) }
                } catch {
                    // The status is sent already: end the connection without the last chunk, so the client sees
                    // a truncated transfer rather than a complete-looking one.
                    logger.error("a streamed response failed", metadata: ["error": "\(error)"])
                    throw error
                }
            }
        }
        try await outbound.write(.end(nil))
    }

    /// The head of `response`: its status and headers, the length of its body (nil: chunked), and whether the
    /// connection stays open.
    static func responseHead(_ response: ControlResponse, length: (some BinaryInteger)?, version: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders(response.headers)
        if let length {
            headers.replaceOrAdd(name: "Content-Length", value: "\(length)")
        } else if case .stream = response.body {
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")  // an event stream, chunked until it ends
        }
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
    }

    /// The `struct ucred` that `SO_PEERCRED` returns.
    private struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    private static func peerCredentials(of channel: Channel, access: AccessPolicy) -> EventLoopFuture<Caller> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ControlServerError("the channel has no socket options"))
        }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_PEERCRED)
        return future.map { peer in
            let groups = PeerGroups.of(pid: peer.pid).union([peer.gid])
            return Caller(uid: peer.uid, gid: peer.gid, pid: peer.pid, role: access.role(uid: peer.uid, groups: groups))
        }
    }
}

/// The control server could not start.
public struct ControlServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Closes a connection when `IdleStateHandler` reports it idle.
final class CloseOnIdle: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
