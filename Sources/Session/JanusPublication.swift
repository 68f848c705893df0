import Foundation
import Logging
import RecorderCore
import Synchronization

/// What the room sends while joined: its camera and microphone, published on the room's own handle. A new
/// ``WebRTCPublisher`` makes the offer and sends it as `publish`; Janus's answer comes as an event, and then the
/// daemon's encode (``RoomMediaSource``) starts feeding the connection. A hang-up of the connection publishes
/// afresh after a pause; a refusal leaves the room watching. Held by ``JanusSession``'s loop alone; the blocking
/// and the requests are side work that reports back as ``Progress``.
struct JanusPublication {
    /// What side work and the publisher's callbacks report, naming the publication (a number): a report about an
    /// earlier one is ignored.
    enum Progress: Sendable {
        /// Making or sending the offer, or taking the answer and starting the encode, failed.
        case failed(number: Int, any Error)
        /// The encode feeds the connection.
        case live(number: Int)
        /// The data channel is open (webrtcbin's callback): messages can be sent.
        case channelOpened(number: Int)
        /// The pause after a hang-up is over: publish afresh.
        case again
    }

    /// One publication: its connection and, once Janus answered, the encode feeding it.
    private struct Current {
        let number: Int
        let publisher: WebRTCPublisher
        let feed: FeedSlot
        /// Janus's answer is being taken, or was.
        var answered = false
        /// The encode runs. Until then an error from VideoRoom is the publication refused.
        var live = false
    }

    /// Seconds before a publication that hung up is made afresh.
    static let republishDelay = 2.0

    private let join: JanusJoin
    private let local: any RoomMediaSource
    private var current: Current?
    /// Publications made so far (the last one's number).
    private var made = 0

    init(join: JanusJoin, local: any RoomMediaSource) {
        self.join = join
        self.local = local
    }

    private var logger: Logger { join.logger }

    func isCurrent(_ number: Int) -> Bool { current?.number == number }

    /// Publishes afresh: a new ``WebRTCPublisher`` makes the offer (off the loop) and sends it to Janus.
    mutating func publish() -> [JanusSession.Job] {
        end()
        made += 1
        let (number, feed, inbox) = (made, FeedSlot(), join.inbox)
        let publisher: WebRTCPublisher
        do {
            // The feedback comes on GStreamer's threads and goes straight to the encode: the loop need not hear it.
            publisher = try WebRTCPublisher(iceAddresses: join.settings.iceAddresses,
                                            keyframeWanted: { feed.current?.requestKeyframe() },
                                            estimate: { feed.current?.limitVideoBitrate($0) },
                                            channelOpened: { inbox.yield(.publication(.channelOpened(number: number))) })
        } catch {
            logger.warning("could not publish the room's camera and microphone", metadata: ["error": "\(error)"])
            return []
        }
        current = Current(number: number, publisher: publisher, feed: feed)
        let join = self.join
        return [{
            do {
                let offer = try await GStreamer.blocking { try publisher.offer() }
                join.logger.debug("the room's offer", metadata: ["sdp": "\(offer)"])
                try await join.client.message(session: join.session, handle: join.handle, body: ["request": "publish"],
                                              jsep: ["type": "offer", "sdp": offer, "trickle": false])
                return nil
            } catch {
                return .publication(.failed(number: number, error))
            }
        }]
    }

    /// Janus's answer to the room's offer: the connection is set up, and the encoders start feeding it.
    mutating func accept(_ answer: String) -> [JanusSession.Job] {
        guard let pending = current, !pending.answered else { return [] }
        current?.answered = true
        let (number, publisher, feed, local) = (pending.number, pending.publisher, pending.feed, self.local)
        return [{
            do {
                try await GStreamer.blocking { try publisher.accept(answer: answer) }
                let encode = try local.startFeed { publisher.send($0) }
                // Ended meanwhile (left, refused, published afresh): this encode has no connection to feed.
                guard feed.set(encode) else {
                    encode.stop()
                    return nil
                }
                return .publication(.live(number: number))
            } catch {
                return .publication(.failed(number: number, error))
            }
        }]
    }

    /// The room's connection hung up (ICE or DTLS failed): it ends now and is made afresh after a pause.
    mutating func hungUp(why: String) -> [JanusSession.Job] {
        logger.warning("the room's publication stopped; publishing again", metadata: ["why": "\(why)"])
        end()
        return [{
            guard (try? await Task.sleep(for: .seconds(Self.republishDelay))) != nil else { return nil }
            return .publication(.again)
        }]
    }

    /// VideoRoom reported an error: if the publication is not live yet, it is the publication refused (true), and it
    /// ends.
    mutating func refused(_ reason: String) -> Bool {
        guard let pending = current, !pending.live else { return false }
        logger.warning("Janus refused the room's publication", metadata: ["error": "\(reason)"])
        end()
        return true
    }

    mutating func progress(_ progress: Progress) -> [JanusSession.Job] {
        switch progress {
        case .failed(let number, let error):
            guard isCurrent(number) else { return [] }
            logger.warning("could not publish the room's camera and microphone", metadata: ["error": "\(error)"])
            end()
        case .live(let number):
            if isCurrent(number) { current?.live = true }
        case .channelOpened:
            break
        case .again:
            // Published afresh meanwhile: nothing to do.
            if current == nil { return publish() }
        }
        return []
    }

    /// Sends a text message on the data channel, if it is open.
    func send(text: String) {
        current?.publisher.send(text: text)
    }

    /// Stops what the room sends (its encode and its connection), if anything.
    mutating func end() {
        guard let ending = current else { return }
        current = nil
        ending.feed.close()?.stop()
        ending.publisher.stop()
    }
}
