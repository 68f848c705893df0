import CGStreamer
import Foundation
import RecorderCore
import Synchronization

/// One sending WebRTC connection to the session server: the room's camera and microphone, already encoded by
/// the agent's own encoders (H.264 constrained baseline, Opus), go in through `appsrc`, and GStreamer's
/// `webrtcbin` is the transport only (RTP payloading, ICE, DTLS-SRTP, RTCP, retransmission on NACK). What the
/// receivers feed back is passed on: a keyframe request (PLI, FIR) and the bandwidth estimate (REMB). A data
/// channel carries the room's messages to the participants (that it records). The offer is whole (no trickle): it
/// is read once ICE gathering is complete.
final class WebRTCPublisher: @unchecked Sendable {
    private let pipeline: UnsafeMutablePointer<GstElement>
    private let webrtc: UnsafeMutablePointer<GstElement>
    private let video: UnsafeMutablePointer<GstElement>
    private let audio: UnsafeMutablePointer<GstElement>
    private let keyframeWanted: @Sendable () -> Void
    private let estimate: @Sendable (Int) -> Void
    private let stopped = Atomic(false)
    /// The RTP session whose feedback is watched for REMB, once negotiated (a reference held until the end).
    private let rtpSession = Mutex<SessionReference?>(nil)
    /// The data channel the room's messages go on (a reference held until the end).
    private let dataChannel = Mutex<SessionReference?>(nil)
    private let channelOpened: @Sendable () -> Void
    /// When the server last sent RTCP (receiver reports, feedback), on the monotonic clock; nil before any. A
    /// WHIP endpoint has no signalling channel to say it hung up, and webrtcbin may not notice a peer that went
    /// silent, so silence here is how a dead publication is told.
    private let lastRTCP = Mutex<MonotonicInstant?>(nil)

    private struct SessionReference: @unchecked Sendable { let pointer: UnsafeMutablePointer<GObject> }

    /// What the offer proposes, before any buffer has flowed: H.264 constrained baseline level 3.1 in
    /// non-interleaved mode (what browsers and aiortc expect to see named), and stereo Opus.
    /// The SSRCs are chosen here, so the offer names them (Janus tells the streams apart by them).
    static func videoCodec(ssrc: UInt32) -> String {
        "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,ssrc=(uint)\(ssrc),"
            + "packetization-mode=(string)1,profile-level-id=(string)42c01f,level-asymmetry-allowed=(string)1"
    }
    static func audioCodec(ssrc: UInt32) -> String {
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2,ssrc=(uint)\(ssrc)"
    }

    /// - Parameters:
    ///   - iceAddresses: the local addresses ICE may use (empty: every interface).
    ///   - iceServers: STUN and TURN servers, as webrtcbin takes them (`stun://host:port`,
    ///     `turn://user:password@host:port`): read when the offer gathers its candidates, so they come first.
    ///   - opensDataChannel: whether the offer has a data channel for the room's messages (Janus reads them; a WHIP
    ///     endpoint takes one audio and one video track and nothing else).
    ///   - keyframeWanted: a receiver asked for a keyframe (called on a GStreamer thread; must not block).
    ///   - estimate: the receivers' bandwidth estimate in bits per second, as each REMB arrives.
    ///   - channelOpened: the data channel is open: messages can be sent (called on a GStreamer thread).
    init(iceAddresses: [String], iceServers: [String] = [], opensDataChannel: Bool = true, keyframeWanted: @escaping @Sendable () -> Void,
         estimate: @escaping @Sendable (Int) -> Void, channelOpened: @escaping @Sendable () -> Void = {}) throws {
        try GStreamer.initialize()
        // h264parse puts the profile and level into the offer; config-interval=0 because the encoder already
        // puts SPS and PPS before every keyframe. Old frames are dropped, not queued, if the network stalls.
        let source = "is-live=true format=time do-timestamp=true leaky-type=downstream max-bytes=2000000"
        let (videoSSRC, audioSSRC) = (UInt32.random(in: 1...UInt32.max), UInt32.random(in: 1...UInt32.max))
        let description = """
            appsrc name=video \(source) caps=video/x-h264,stream-format=byte-stream,alignment=au,profile=constrained-baseline,level=(string)3.1 \
            ! h264parse ! rtph264pay config-interval=0 aggregate-mode=zero-latency pt=96 mtu=1200 ssrc=\(videoSSRC) \
            ! \(Self.videoCodec(ssrc: videoSSRC)) ! webrtcbin name=webrtc bundle-policy=max-bundle \
            appsrc name=audio \(source) caps=audio/x-opus,channels=2,rate=48000,channel-mapping-family=0 \
            ! rtpopuspay pt=111 mtu=1200 ssrc=\(audioSSRC) ! \(Self.audioCodec(ssrc: audioSSRC)) ! webrtc.
            """
        var error: UnsafeMutablePointer<gchar>?
        guard let pipeline = rr_parse_launch(description, &error) else {
            let reason = error.map { String(cString: $0) } ?? "unknown"
            if let error { g_free(error) }
            throw JanusError("the publishing pipeline cannot be made (install gstreamer1.0-plugins-bad, -good and gstreamer1.0-nice): \(reason)")
        }
        guard let webrtc = rr_bin_child(pipeline, "webrtc"), let video = rr_bin_child(pipeline, "video"), let audio = rr_bin_child(pipeline, "audio") else {
            gst_object_unref(pipeline)
            throw JanusError("the publishing pipeline lacks its elements")
        }
        self.pipeline = pipeline
        self.webrtc = webrtc
        self.video = video
        self.audio = audio
        self.keyframeWanted = keyframeWanted
        self.estimate = estimate
        self.channelOpened = channelOpened
        for (pad, codec) in [("sink_0", Self.videoCodec(ssrc: videoSSRC)), ("sink_1", Self.audioCodec(ssrc: audioSSRC))] where rr_webrtc_sink_transceiver(webrtc, pad, "sendonly", codec) == 0 {
            throw JanusError("webrtcbin has no \(pad) to send on")
        }
        for address in iceAddresses where rr_webrtc_restrict_ice_to(webrtc, address) == 0 {
            throw JanusError("ICE cannot be kept to \(address)")
        }
        // webrtcbin has one STUN server; the last one named wins. TURN servers add up; one webrtcbin cannot use
        // (it says why in GStreamer's log) is left out rather than failing the connection, which host and
        // server-reflexive candidates may carry.
        for server in iceServers {
            if server.hasPrefix("stun://") {
                rr_set(webrtc, "stun-server", server)
            } else {
                _ = rr_webrtc_add_turn_server(webrtc, server)
            }
        }
        rr_on_keyframe_request(video, { me in
            guard let me else { return }
            Unmanaged<WebRTCPublisher>.fromOpaque(me).takeUnretainedValue().keyframeWanted()
        }, Unmanaged.passUnretained(self).toOpaque())
        guard gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE else {
            throw JanusError("the WebRTC publishing pipeline did not start")
        }
        guard opensDataChannel else { return }
        // A data channel can be made once webrtcbin is past NULL, and before the offer (which then has it).
        guard let channel = rr_webrtc_create_data_channel(webrtc, "roomrec") else { throw JanusError("webrtcbin made no data channel (is the sctp plugin there?)") }
        dataChannel.withLock { $0 = SessionReference(pointer: channel) }
        rr_connect_notify(channel, "notify::ready-state", { channel, _, me in
            guard let channel, let me, GStreamer.nick(channel, "ready-state") == "open" else { return }
            Unmanaged<WebRTCPublisher>.fromOpaque(me).takeUnretainedValue().channelOpened()
        }, Unmanaged.passUnretained(self).toOpaque(), nil)
    }

    deinit {
        stop()
        if let session = rtpSession.withLock({ $0 }) { g_object_unref(session.pointer) }
        if let channel = dataChannel.withLock({ $0 }) { g_object_unref(channel.pointer) }
        for element in [webrtc, video, audio, pipeline] { gst_object_unref(UnsafeMutableRawPointer(element)) }
    }

    /// The offer to send to the server, with every local candidate in it. Blocks while GStreamer works (a few
    /// hundred milliseconds): call it off the cooperative pool.
    func offer() throws -> String {
        try GStreamer.localDescription("offer", of: webrtc, stopped: stopped)
    }

    /// Takes the server's answer; from then on the receivers' bandwidth estimates are passed on. Blocks briefly.
    func accept(answer: String) throws {
        let applied = gst_promise_new()
        defer { gst_promise_unref(applied) }
        guard rr_webrtc_set_description(webrtc, 1, Int32(RR_SDP_ANSWER), answer, applied) != 0, rr_promise_wait_ok(applied) != 0 else {
            throw JanusError("webrtcbin refused the server's answer")
        }
        // With one bundle there is one RTP session, 0; it exists once negotiated.
        guard let rtpbin = rr_webrtc_rtpbin(webrtc) else { return }
        defer { gst_object_unref(UnsafeMutableRawPointer(rtpbin)) }
        guard let session = rr_rtpbin_internal_session(rtpbin, 0) else { return }
        rtpSession.withLock { $0 = SessionReference(pointer: session) }
        rr_connect_buffer(session, "on-receiving-rtcp", { _, _, me in
            guard let me else { return }
            Unmanaged<WebRTCPublisher>.fromOpaque(me).takeUnretainedValue().lastRTCP.withLock { $0 = .now() }
        }, Unmanaged.passUnretained(self).toOpaque(), nil)
        rr_connect_feedback(session, "on-feedback-rtcp", { _, type, fbtype, _, _, fci, me in
            guard let me else { return }
            let bitrate = rr_remb_bitrate(type, fbtype, fci)
            if bitrate > 0 { Unmanaged<WebRTCPublisher>.fromOpaque(me).takeUnretainedValue().estimate(Int(clamping: bitrate)) }
        }, Unmanaged.passUnretained(self).toOpaque(), nil)
    }

    /// Sends one encoded frame (copied); frames before the connection is up are dropped by the transport.
    func send(_ frame: LocalMediaFrame) {
        guard !stopped.load(ordering: .relaxed) else { return }
        let element = frame.kind == .video ? video : audio
        let duration = GstClockTime(frame.duration * 1e9)
        _ = frame.data.withUnsafeBytes { bytes in
            rr_app_src_push(element, bytes.baseAddress, gsize(bytes.count), rr_clock_time_none(), duration, frame.keyframe ? 1 : 0)
        }
    }

    /// Sends a text message on the data channel; false if it is not open (yet).
    @discardableResult
    func send(text: String) -> Bool {
        guard !stopped.load(ordering: .relaxed), let channel = dataChannel.withLock({ $0?.pointer }),
              GStreamer.nick(channel, "ready-state") == "open" else { return false }
        rr_data_channel_send_string(channel, text)
        return true
    }

    /// `new`, `connecting`, `connected`, `disconnected`, `failed` or `closed`.
    var connectionState: String { GStreamer.nick(webrtc, "connection-state") }

    /// When the server last sent RTCP; nil before it has.
    var lastRTCPAt: MonotonicInstant? { lastRTCP.withLock { $0 } }

    /// Ends the connection. The GStreamer objects go with the publisher.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        if let session = rtpSession.withLock({ $0 }) {
            g_signal_handlers_disconnect_matched(session.pointer, G_SIGNAL_MATCH_DATA, 0, 0, nil, nil, Unmanaged.passUnretained(self).toOpaque())
        }
        if let channel = dataChannel.withLock({ $0?.pointer }) {
            g_signal_handlers_disconnect_matched(channel, G_SIGNAL_MATCH_DATA, 0, 0, nil, nil, Unmanaged.passUnretained(self).toOpaque())
        }
        gst_element_set_state(pipeline, GST_STATE_NULL)
    }
}
