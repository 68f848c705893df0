import Foundation
import Logging
import RecorderCore

/// What the room receives: a subscription to every publisher in the room, each on a handle of its own that joins
/// as a subscriber; Janus's offer arrives as that handle's `attached` event and a ``WebRTCReceiver`` answers it. A
/// subscription that fails (a hang-up, an error, a second offer, a request that did not go through) is dropped
/// and, after a pause, made afresh while its publisher is still in the room. Held by ``JanusSession``'s loop
/// alone; the requests to Janus are side work that reports back as ``Progress``.
struct JanusSubscriptions {
    /// What side work reports, naming the subscription's attempt: a report about an earlier one is ignored.
    enum Progress: Sendable {
        /// The subscription's handle is attached.
        case attached(feed: UInt64, attempt: Int, handle: UInt64)
        /// The answer went to Janus: media comes.
        case receiving(feed: UInt64, attempt: Int)
        /// A request failed (`what` says which part, for the log).
        case failed(feed: UInt64, attempt: Int, what: String, any Error)
        /// The pause after a failure is over: subscribe again if the publisher is still there.
        case retry(feed: UInt64)
    }

    /// One publisher's subscription.
    private struct Subscription {
        var attempt: Int
        /// Its handle, once attached.
        var handle: UInt64?
        /// Its connection, once Janus offered.
        var receiver: WebRTCReceiver?
    }

    /// Seconds before a failed subscription is made afresh.
    static let retryDelay = 2.0

    private let join: JanusJoin
    private let media: @Sendable (RemoteMediaFrame) -> Void
    /// The publishers in the room now: a subscription that failed is tried again only while its publisher is there.
    private var publishers: Set<UInt64> = []
    /// The subscriptions, by the publisher's feed id.
    private var all: [UInt64: Subscription] = [:]
    private var attempts = 0

    init(join: JanusJoin, media: @escaping @Sendable (RemoteMediaFrame) -> Void) {
        self.join = join
        self.media = media
    }

    private var logger: Logger { join.logger }

    /// The receivers, by participant id, for their numbers.
    var receivers: [(String, WebRTCReceiver)] {
        all.compactMap { feed, subscription in subscription.receiver.map { ("\(feed)", $0) } }
    }

    /// Subscribes to what a publisher sends (once): attaches a handle, which then joins as a subscriber.
    mutating func subscribe(to feed: UInt64) -> [JanusSession.Job] {
        publishers.insert(feed)
        guard all[feed] == nil else { return [] }
        attempts += 1
        let (attempt, join) = (attempts, self.join)
        all[feed] = Subscription(attempt: attempt)
        return [{
            do {
                let handle = try await join.client.attach(session: join.session, plugin: JanusVideoRoomConnector.plugin)
                return .subscription(.attached(feed: feed, attempt: attempt, handle: handle))
            } catch {
                return .subscription(.failed(feed: feed, attempt: attempt, what: "could not subscribe to a participant", error))
            }
        }]
    }

    /// A publisher left, unpublished or was kicked: its media stops and its handle goes.
    mutating func publisherLeft(_ feed: UInt64) -> [JanusSession.Job] {
        publishers.remove(feed)
        return unsubscribe(from: feed)
    }

    mutating func progress(_ progress: Progress) -> [JanusSession.Job] {
        switch progress {
        case .attached(let feed, let attempt, let handle):
            guard all[feed]?.attempt == attempt else { return [detach(handle)] }
            all[feed]?.handle = handle
            let join = self.join
            // No renegotiation on this handle: a publisher that changes what it sends is subscribed to afresh.
            var request: [String: any Sendable] = ["request": "join", "ptype": "subscriber", "room": join.settings.room,
                                                   "streams": [["feed": feed]], "autoupdate": false]
            if let pin = join.settings.pin { request["pin"] = pin }
            let body = request
            return [{
                do {
                    try await join.client.message(session: join.session, handle: handle, body: body)
                    return nil
                } catch {
                    return .subscription(.failed(feed: feed, attempt: attempt, what: "could not subscribe to a participant", error))
                }
            }]
        case .receiving(let feed, _):
            logger.info("receiving a participant", metadata: ["feed": "\(feed)"])
            return []
        case .failed(let feed, let attempt, let what, let error):
            logger.warning("\(what)", metadata: ["feed": "\(feed)", "error": "\(error)"])
            guard all[feed]?.attempt == attempt else { return [] }
            return resubscribe(to: feed)
        case .retry(let feed):
            guard publishers.contains(feed) else { return [] }
            return subscribe(to: feed)
        }
    }

    /// An event for one of the subscriber handles: Janus's offer, answered by a new ``WebRTCReceiver``; a hang-up
    /// (ICE or DTLS failed), an error or a second offer starts the subscription afresh.
    mutating func event(_ message: JanusMessage, from handle: UInt64) -> [JanusSession.Job] {
        guard let (feed, subscription) = all.first(where: { $0.value.handle == handle }).map({ ($0.key, $0.value) }) else { return [] }
        if message.janus == "hangup" || message.plugindata?.data.error != nil || (message.jsep != nil && subscription.receiver != nil) {
            logger.warning("a participant's media stopped; subscribing again", metadata: [
                "feed": "\(feed)", "why": "\(message.plugindata?.data.error ?? message.janus)"])
            return resubscribe(to: feed)
        }
        guard message.janus == "event", let offer = message.jsep, offer.type == "offer" else { return [] }
        // Tracks are named as the publisher names them (its stream's mid), as the participant's tracks are.
        var publisherMids: [String: String] = [:]
        for stream in message.plugindata?.data.streams ?? [] {
            if let mid = stream.mid, let feedMid = stream.feedMid { publisherMids[mid] = feedMid }
        }
        let (names, participant, media) = (publisherMids, "\(feed)", self.media)
        let receiver: WebRTCReceiver
        do {
            receiver = try WebRTCReceiver(iceAddresses: join.settings.iceAddresses) { frame in
                media(RemoteMediaFrame(participantID: participant, track: names[frame.track] ?? frame.track, kind: frame.kind,
                                       codec: frame.codec, data: frame.data, arrivedAt: frame.arrivedAt))
            }
        } catch {
            logger.warning("could not receive a participant", metadata: ["feed": "\(feed)", "error": "\(error)"])
            return resubscribe(to: feed)
        }
        // Held here before it answers, so a publisher who leaves meanwhile stops it.
        all[feed]?.receiver = receiver
        let (attempt, join) = (subscription.attempt, self.join)
        return [{
            do {
                let answer = try await GStreamer.blocking { try receiver.answer(offer: offer.sdp) }
                try await join.client.message(session: join.session, handle: handle, body: ["request": "start"],
                                              jsep: ["type": "answer", "sdp": answer, "trickle": false])
                return .subscription(.receiving(feed: feed, attempt: attempt))
            } catch {
                return .subscription(.failed(feed: feed, attempt: attempt, what: "could not receive a participant", error))
            }
        }]
    }

    /// Stops every receiver; the handles go with the session.
    mutating func end() {
        for subscription in all.values { subscription.receiver?.stop() }
        all = [:]
        publishers = []
    }

    /// Drops a subscription that failed and, after a pause, subscribes again if its publisher is still there.
    private mutating func resubscribe(to feed: UInt64) -> [JanusSession.Job] {
        unsubscribe(from: feed) + [{
            guard (try? await Task.sleep(for: .seconds(Self.retryDelay))) != nil else { return nil }
            return .subscription(.retry(feed: feed))
        }]
    }

    /// Stops receiving a publisher that left (or whose subscription failed) and detaches its handle, if attached
    /// (one still attaching is detached when it reports, as no longer wanted).
    private mutating func unsubscribe(from feed: UInt64) -> [JanusSession.Job] {
        guard let subscription = all.removeValue(forKey: feed) else { return [] }
        subscription.receiver?.stop()
        return subscription.handle.map { [detach($0)] } ?? []
    }

    private func detach(_ handle: UInt64) -> JanusSession.Job {
        let join = self.join
        return {
            try? await join.client.detach(session: join.session, handle: handle)
            return nil
        }
    }
}
