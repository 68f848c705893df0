import DurableFiles
import Foundation
import Logging
import RecorderCore

/// Publishes the room's camera and microphone to a WHIP endpoint (RFC 9725): LiveKit or OpenVidu through their
/// ingress, MediaMTX, Cloudflare, Janus behind its WHIP server. One attempt is one ``WHIPPublication``: the
/// offer (the same encoders and webrtcbin transport as the Janus publication, without a data channel) is
/// POSTed, the answer applied, and the encode feeds the connection until it fails or goes silent; then the
/// resource is DELETEd and the connector publishes again with back-off (a server's `Retry-After` is a floor).
///
/// WHIP is ingest only: nothing comes back, so the session's stage stays empty and the recording is the room's
/// own sources; a drop never touches the recording.
public final class WHIPConnector: SessionConnector {
    public struct Settings: Sendable {
        /// The endpoint the offer is POSTed to.
        public var url: URL
        /// The file holding the bearer token, if the endpoint asks for one; read for every attempt.
        public var tokenFile: String?
        /// The local addresses ICE may use (empty: every interface).
        public var iceAddresses: [String] = []
        /// Back-off between attempts. Short: a publisher coming back costs the endpoint one request, and a class
        /// is missing from the session while the room is away.
        public var retry = RetryPolicy(base: 1, maximum: 5)
        /// Seconds the connection may take to come up after the answer.
        public var connectTimeout = 10.0
        /// Seconds without RTCP from the endpoint after which the publication counts as gone.
        public var silenceLimit = 6.0

        public init(url: URL, tokenFile: String? = nil) {
            self.url = url
            self.tokenFile = tokenFile
        }
    }

    /// The longest a server's `Retry-After` is obeyed.
    static let longestRetryAfter = 600.0

    private let settings: Settings
    private let client: WHIPClient
    private let logger: Logger

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.client = WHIPClient(endpoint: settings.url, tokenFile: settings.tokenFile)
        self.logger = logger
    }

    /// WHIP carries nothing back: no participants, no numbers.
    public func reception() -> [TrackReception] { [] }

    /// WHIP has no channel for it (no data channel, no name to change): the endpoint's platform shows its own state.
    public func announceRecording(_ recording: Bool) async {}

    public func run(publishing local: (any RoomMediaSource)?, report: @escaping @Sendable (SessionEvent) -> Void,
                    media: @escaping @Sendable (RemoteMediaFrame) -> Void) async {
        guard let local else {
            // Configuration refuses `publish = false` with WHIP; nothing to do if it comes anyway.
            logger.warning("WHIP publishes the room's camera and microphone, and publishing is off: nothing to do")
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        _ = try? await BlockingIO.run { try GStreamer.initialize() }
        var failures = 0
        // The ICE servers the endpoint named last: the next offer gathers with them.
        var iceServers: [WHIPIceServer] = []
        // The servers an attempt was made again at once for: once per set, so an endpoint handing out new TURN
        // credentials with every answer does not undo the back-off.
        var retriedAtOnceFor: Set<String> = []
        while !Task.isCancelled {
            report(.connecting(attempt: failures + 1))
            var publication = WHIPPublication(client: client, settings: settings, iceServers: iceServers, logger: logger)
            let error = await publication.run(local, report: report)
            if Task.isCancelled { break }
            if publication.connected { failures = 0 }
            failures += 1
            var delay = max(settings.retry.delay(afterFailures: failures),
                            min((error as? RetryAfterError)?.retryAfter ?? 0, Self.longestRetryAfter))
            let named = Set((publication.learnedICEServers ?? []).map(\.uri))
            if publication.namedNewICEServers, !publication.connected, named != retriedAtOnceFor {
                // The offer lacked the servers the endpoint asked for, and did not connect: at once, with them.
                delay = 0
                retriedAtOnceFor = named
            }
            // Servers from an answer are kept for the next offer; an attempt that failed before it could ask (its
            // offer could not even be made) drops them, in case they were the trouble.
            iceServers = publication.learnedICEServers ?? (publication.offered ? iceServers : [])
            report(.disconnected(reason: "\(error)", retryIn: delay))
            try? await Task.sleep(for: .seconds(delay))
        }
    }
}
