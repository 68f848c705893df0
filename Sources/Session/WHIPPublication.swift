import Foundation
import Logging
import RecorderCore

/// One attempt to publish to a WHIP endpoint, from the offer to the DELETE: makes a ``WebRTCPublisher``, POSTs its
/// whole offer (every candidate in it: every endpoint takes that, while trickle is optional), applies the answer,
/// starts the encode, and watches the connection. It has no signalling channel, so it tells a dead publication
/// by webrtcbin's connection state and by the endpoint's RTCP: a WHIP endpoint sends receiver reports and
/// feedback while it takes the media, and its silence means it is gone (a restarted server, a peer hung up
/// without a DTLS alert).
struct WHIPPublication {
    private let client: WHIPClient
    private let settings: WHIPConnector.Settings
    private let iceServers: [WHIPIceServer]
    private let logger: Logger
    /// Whether the connection came up: a publication that was up and then dropped starts the back-off afresh.
    private(set) var connected = false
    /// The ICE servers the endpoint named in its answer, if it answered.
    private(set) var learnedICEServers: [WHIPIceServer]?
    /// Whether the offer was made (and so sent).
    private(set) var offered = false

    /// How often the connection is looked at.
    static let watchInterval = 0.25

    init(client: WHIPClient, settings: WHIPConnector.Settings, iceServers: [WHIPIceServer], logger: Logger) {
        self.client = client
        self.settings = settings
        self.iceServers = iceServers
        self.logger = logger
    }

    /// Whether the endpoint named ICE servers this attempt's offer was made without.
    var namedNewICEServers: Bool {
        guard let learned = learnedICEServers else { return false }
        return !learned.isEmpty && learned != iceServers
    }

    /// Publishes until the connection fails or the task is cancelled; returns why it ended. The resource is
    /// DELETEd before it returns, so the next attempt's POST never meets it (an endpoint may give every session the
    /// same resource URL, and a late DELETE would end the next one).
    mutating func run(_ local: any RoomMediaSource, report: @Sendable (SessionEvent) -> Void) async -> any Error {
        let feed = FeedSlot()
        let publisher: WebRTCPublisher
        do {
            publisher = try WebRTCPublisher(iceAddresses: settings.iceAddresses, iceServers: iceServers.compactMap(\.webrtcbinURI),
                                            opensDataChannel: false, keyframeWanted: { feed.current?.requestKeyframe() },
                                            estimate: { feed.current?.limitVideoBitrate($0) })
        } catch {
            return error
        }
        var resource: URL?
        let ending: any Error
        do {
            let offer = try await GStreamer.blocking { try publisher.offer() }
            offered = true
            logger.debug("the room's WHIP offer", metadata: ["sdp": "\(offer)"])
            let session = try await client.publish(offer: offer)
            resource = session.resource
            learnedICEServers = session.iceServers
            logger.info("the WHIP endpoint took the offer", metadata: ["resource": "\(session.resource.absoluteString)",
                                                                       "iceServers": "\(session.iceServers.map(\.uri))"])
            try await GStreamer.blocking { try publisher.accept(answer: session.answer) }
            let encode = try local.startFeed { publisher.send($0) }
            _ = feed.set(encode)
            try await waitUntilConnected(publisher)
            connected = true
            report(.joined(participants: []))
            try await watch(publisher)
            ending = CancellationError()
        } catch {
            ending = error
        }
        feed.close()?.stop()
        publisher.stop()
        if let resource { await end(resource) }
        return ending
    }

    /// Waits for ICE and DTLS to come up.
    private func waitUntilConnected(_ publisher: WebRTCPublisher) async throws {
        let deadline = MonotonicInstant.now().advanced(by: settings.connectTimeout)
        while true {
            let state = publisher.connectionState
            if state == "connected" { return }
            if state == "failed" || state == "closed" {
                throw WHIPConnectionLost("the connection to the WHIP endpoint \(state) before it came up (ICE or DTLS)")
            }
            guard MonotonicInstant.now() < deadline else {
                let hint = namedNewICEServers ? "; trying again with the ICE servers it named" : ""
                throw WHIPConnectionLost("the connection to the WHIP endpoint did not come up within \(Int(settings.connectTimeout)) s\(hint)")
            }
            try await Task.sleep(for: .seconds(Self.watchInterval))
        }
    }

    /// Watches the live connection until it fails or the endpoint goes silent.
    private func watch(_ publisher: WebRTCPublisher) async throws {
        let since = MonotonicInstant.now()
        while true {
            try await Task.sleep(for: .seconds(Self.watchInterval))
            let state = publisher.connectionState
            if state == "failed" || state == "closed" { throw WHIPConnectionLost("the connection to the WHIP endpoint \(state)") }
            let now = MonotonicInstant.now()
            if now.seconds(since: publisher.lastRTCPAt ?? since) > settings.silenceLimit {
                throw WHIPConnectionLost("the WHIP endpoint went silent (no RTCP for \(Int(settings.silenceLimit)) s)")
            }
        }
    }

    /// DELETEs the resource, bounded; a cancelled task (leaving) still sends it.
    private func end(_ resource: URL) async {
        let (client, logger) = (client, logger)
        // Unstructured: the one context not cancelled when the room leaves.
        await Task {
            do {
                try await client.end(resource)
                logger.info("ended the publication on the WHIP endpoint", metadata: ["resource": "\(resource.absoluteString)"])
            } catch {
                logger.notice("could not end the publication on the WHIP endpoint", metadata: ["resource": "\(resource.absoluteString)", "error": "\(error)"])
            }
        }.value
    }
}

/// The publication's connection failed or went silent.
struct WHIPConnectionLost: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
