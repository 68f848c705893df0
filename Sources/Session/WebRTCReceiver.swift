import CGStreamer
import Foundation
import RecorderCore
import Synchronization

/// One receiving WebRTC connection to the session server, with GStreamer's `webrtcbin` as the transport only:
/// ICE, DTLS-SRTP, RTP and RTCP (NACK, keyframe requests) are its; each incoming track is depayloaded into encoded
/// frames (H.264 access units, VP8 frames, Opus packets) and handed over as they arrive, for FFmpeg to decode.
/// Offer and answer are whole (no trickle): Janus puts its candidates in its offer, and the answer is read once
/// gathering is complete.
final class WebRTCReceiver: @unchecked Sendable {
    /// An encoded frame as it arrived.
    struct Frame: Sendable {
        /// Which of the connection's tracks it came on: its media id (SDP `a=mid`), or its number if it has none.
        var track: String
        var kind: SessionTrack.Kind
        /// `h264`, `vp8` or `opus`.
        var codec: String
        var data: [UInt8]
        var arrivedAt: MonotonicInstant
    }

    private let pipeline: UnsafeMutablePointer<GstElement>
    private let webrtc: UnsafeMutablePointer<GstElement>
    private let deliver: @Sendable (Frame) -> Void
    private let failed: @Sendable (String) -> Void
    private let stopped = Atomic(false)
    /// Tracks seen so far, to tell a participant's tracks of one kind apart.
    private let trackCount = Atomic(0)

    /// - Parameters:
    ///   - iceAddresses: the local addresses ICE may use (empty: every interface).
    ///   - deliver: gets every frame, on the track's own reading thread.
    ///   - failed: hears of a track that could not be received.
    init(iceAddresses: [String], deliver: @escaping @Sendable (Frame) -> Void, failed: @escaping @Sendable (String) -> Void = { _ in }) throws {
        try GStreamer.initialize()
        guard let pipeline = gst_pipeline_new(nil) else { throw JanusError("GStreamer could not make a pipeline") }
        guard let webrtc = gst_element_factory_make("webrtcbin", nil) else {
            gst_object_unref(pipeline)
            throw JanusError("GStreamer has no webrtcbin (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)")
        }
        self.pipeline = pipeline
        self.webrtc = webrtc
        self.deliver = deliver
        self.failed = failed
        rr_set(webrtc, "bundle-policy", "max-bundle")
        // The pipeline takes the floating reference; this one keeps webrtcbin alive for calls racing `stop()`.
        _ = gst_object_ref(UnsafeMutableRawPointer(webrtc))
        gst_bin_add(rr_bin(pipeline), webrtc)
        for address in iceAddresses where rr_webrtc_restrict_ice_to(webrtc, address) == 0 {
            throw JanusError("ICE cannot be kept to \(address)")
        }
        rr_connect_pad(webrtc, "pad-added", { _, pad, me in
            guard let pad, let me else { return }
            Unmanaged<WebRTCReceiver>.fromOpaque(me).takeUnretainedValue().trackArrived(pad)
        }, Unmanaged.passUnretained(self).toOpaque(), nil)
        guard gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE else {
            throw JanusError("the WebRTC pipeline did not start")
        }
    }

    /// Reading threads hold the receiver until they see `stop()`, so this runs after it.
    deinit {
        stop()
        gst_object_unref(UnsafeMutableRawPointer(webrtc))
        gst_object_unref(UnsafeMutableRawPointer(pipeline))
    }

    /// Takes the server's offer and returns the answer, with every local candidate in it. Blocks while GStreamer
    /// works (a few hundred milliseconds): call it off the cooperative pool.
    func answer(offer: String) throws -> String {
        let remote = gst_promise_new()
        defer { gst_promise_unref(remote) }
        guard rr_webrtc_set_description(webrtc, 1, Int32(RR_SDP_OFFER), offer, remote) != 0, rr_promise_wait_ok(remote) != 0 else {
            throw JanusError("webrtcbin refused the offer")
        }
        return try GStreamer.localDescription("answer", of: webrtc, stopped: stopped)
    }

    /// What RTP says of the first audio and the first video track: packets received and lost, and the
    /// interarrival jitter in seconds; a kind with no track yet is left out. One get-stats, which blocks until
    /// webrtcbin answers: call it off the cooperative pool.
    func reception() -> [SessionTrack.Kind: (received: UInt64, lost: Int64, jitter: Double)] {
        guard !stopped.load(ordering: .relaxed) else { return [:] }
        var audio = RRInbound()
        var video = RRInbound()
        rr_webrtc_inbound_stats(webrtc, &audio, &video)
        var numbers: [SessionTrack.Kind: (received: UInt64, lost: Int64, jitter: Double)] = [:]
        for (kind, inbound) in [(SessionTrack.Kind.audio, audio), (.video, video)] where inbound.found != 0 {
            numbers[kind] = (UInt64(inbound.received), Int64(inbound.lost), inbound.jitter)
        }
        return numbers
    }

    /// `new`, `connecting`, `connected`, `disconnected`, `failed` or `closed`.
    var connectionState: String { GStreamer.nick(webrtc, "connection-state") }

    /// Ends the connection; its reading threads end within 100 ms. The GStreamer objects go with the receiver.
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        gst_element_set_state(pipeline, GST_STATE_NULL)
    }

    /// A track came in (on a GStreamer thread): depayload it into an appsink and read it on a thread of its own.
    private func trackArrived(_ pad: UnsafeMutablePointer<GstPad>) {
        guard let encodingText = rr_pad_caps_field(pad, "encoding-name") else { return }
        let encoding = String(cString: encodingText).uppercased()
        g_free(encodingText)
        let branch: (kind: SessionTrack.Kind, codec: String, description: String)
        let sink = "appsink name=sink sync=false max-buffers=120 drop=true"
        switch encoding {
        case "H264":
            branch = (.video, "h264", "rtph264depay request-keyframe=true wait-for-keyframe=true ! video/x-h264,stream-format=byte-stream,alignment=au ! \(sink)")
        case "VP8": branch = (.video, "vp8", "rtpvp8depay request-keyframe=true wait-for-keyframe=true ! \(sink)")
        case "OPUS": branch = (.audio, "opus", "rtpopusdepay ! \(sink)")
        default: branch = (.video, "", "fakesink sync=false")
        }
        var error: UnsafeMutablePointer<gchar>?
        guard let bin = rr_parse_bin(branch.description, &error) else {
            let reason = error.map { String(cString: $0) } ?? "unknown"
            if let error { g_free(error) }
            return failed("a \(encoding) track cannot be received: \(reason)")
        }
        gst_bin_add(rr_bin(pipeline), bin)
        gst_element_sync_state_with_parent(bin)
        if let input = gst_element_get_static_pad(bin, "sink") {
            let linked = gst_pad_link(pad, input)
            gst_object_unref(input)
            if linked != GST_PAD_LINK_OK { return failed("a \(encoding) track could not be linked (\(linked.rawValue))") }
        }
        guard !branch.codec.isEmpty, let appsink = rr_bin_child(bin, "sink") else { return }
        let element = ElementReference(appsink)
        let number = trackCount.add(1, ordering: .relaxed).newValue
        let track = rr_pad_mid(pad).map { mid in defer { g_free(mid) }; return String(cString: mid) } ?? "\(number)"
        let reader = Thread { [self] in
            read(element.pointer, track: track, kind: branch.kind, codec: branch.codec)
            gst_object_unref(element.pointer)
        }
        reader.name = "roomrec.webrtc.\(branch.codec)"
        reader.start()
    }

    private func read(_ appsink: UnsafeMutablePointer<GstElement>, track: String, kind: SessionTrack.Kind, codec: String) {
        while !stopped.load(ordering: .relaxed) {
            guard let sample = gst_app_sink_try_pull_sample(rr_app_sink(appsink), 100 * 1_000_000) else {
                if gst_app_sink_is_eos(rr_app_sink(appsink)) != 0 { return }
                continue
            }
            defer { gst_sample_unref(sample) }
            guard let buffer = gst_sample_get_buffer(sample) else { continue }
            var map = GstMapInfo()
            guard gst_buffer_map(buffer, &map, GST_MAP_READ) != 0 else { continue }
            let data = Array(UnsafeBufferPointer(start: map.data, count: Int(map.size)))
            gst_buffer_unmap(buffer, &map)
            deliver(Frame(track: track, kind: kind, codec: codec, data: data, arrivedAt: .now()))
        }
    }
}

/// A GStreamer element handed to the thread that owns it from then on.
private struct ElementReference: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<GstElement>
    init(_ pointer: UnsafeMutablePointer<GstElement>) { self.pointer = pointer }
}
