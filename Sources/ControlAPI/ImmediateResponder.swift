import ControlContract
import Foundation
import NIOCore
import NIOHTTP1

/// Answers the routes that never wait (`Router.addImmediate`: status) on the connection's event loop as soon as
/// the request is read, and passes every other request on to the connection's task.
///
/// On a room computer whose two cores encode 1080p, every handoff of a request between threads can wait for a
/// core; status, which room panels and scripts poll, is answered by the thread that read it. A request is only
/// answered here while no earlier request of the connection is still being answered, so responses keep their
/// order on a kept-alive connection.
final class ImmediateResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let caller: Caller
    /// Requests passed on whose responses have not ended yet.
    private var passedOn = 0
    /// The head of a request being read to be answered here.
    private var held: HTTPRequestHead?

    init(router: Router, caller: Caller) {
        self.router = router
        self.caller = caller
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // A request another site's page made goes the usual way, which refuses it.
            if passedOn == 0, router.isImmediate(head.method.rawValue, path: ControlRequest.path(of: head.uri)), PanelGate.crossSite(head) == nil {
                held = head
            } else {
                passOn(head, context: context)
            }
        case .body:
            // A body is not what an immediate route reads: the request goes the usual way.
            if let head = held { passOn(head, context: context) }
            context.fireChannelRead(data)
        case .end:
            guard let head = held else { return context.fireChannelRead(data) }
            held = nil
            let request = ControlRequest(head, body: Data(), caller: caller)
            guard let response = router.immediateResponse(to: request), case .data(let body) = response.body else {
                passOn(head, context: context)
                return context.fireChannelRead(data)
            }
            // Written once the handlers before this one are done with the read that delivered the request (NIO's
            // pipelining handler hands on a waiting request from inside the write that ended the one before):
            // later on the same event loop, still no other thread.
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (responder, context) = bound.value
                responder.send(response, body: body, for: head, context: context)
            }
        }
    }

    private func send(_ response: ControlResponse, body: Data, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(ControlServer.responseHead(response, length: body.count, version: head.version,
                                                                       keepAlive: head.isKeepAlive))), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !head.isKeepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    private func passOn(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        held = nil
        passedOn += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
