import CFFmpeg
import RecorderCore

/// An owned, opened libavcodec encoder. Frames go in with `send`, packets come out through `drain`. A video
/// encoder that wants another pixel format (NV12) or frames in GPU memory (VA-API, Quick Sync) gets them
/// converted by libswscale and uploaded here, so callers always send YUV 4:2:0 frames from memory.
final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    /// A readable name, e.g. "libx264 (veryfast)".
    let name: String
    /// The hardware device and frame pool, for encoders that take GPU frames.
    private var device: UnsafeMutablePointer<AVBufferRef>?
    private var framePool: UnsafeMutablePointer<AVBufferRef>?
    /// Converts the caller's YUV 4:2:0 to the pixel format the encoder (or its upload) wants.
    private var converter: OpaquePointer?

    /// - Parameter globalHeader: SPS/PPS (or the codec's set-up) once, for a container; false puts them in the
    ///   stream before every keyframe, as a live stream needs.
    private init(codecName: String, label: String, globalHeader: Bool = true, configure: (Encoder, UnsafeMutablePointer<AVCodecContext>) throws(FFmpegError) -> Void) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw FFmpegError(code: rr_averror(ENOENT), operation: "avcodec_find_encoder_by_name(\(codecName))")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw .missing("avcodec_alloc_context3") }
        self.context = context
        self.name = label
        try configure(self, context)
        if globalHeader { context.pointee.flags |= rr_codec_flag_global_header() }
        try FFmpegError.check(avcodec_open2(context, codec, nil), "avcodec_open2(\(codecName))")
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
        av_buffer_unref(&framePool)
        av_buffer_unref(&device)
        sws_freeContext(converter)
    }

    /// H.264 High profile at the settings' size, rate and bitrate (capped), a keyframe every
    /// `keyframeIntervalSeconds`, no B-frames (decode order is capture order), BT.709, timestamps in 1/90000 s,
    /// by the settings' encoder.
    static func h264(_ settings: VideoEncoderSettings) throws(FFmpegError) -> Encoder {
        let candidate = settings.encoder
        let label = candidate.kind == .x264 ? "libx264 (\(settings.preset))" : candidate.description
        return try Encoder(codecName: candidate.kind.rawValue, label: label) { (encoder, c) throws(FFmpegError) in
            c.pointee.width = Int32(settings.width)
            c.pointee.height = Int32(settings.height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: 1, den: 90_000)
            c.pointee.framerate = AVRational(num: Int32(settings.framesPerSecond), den: 1)
            c.pointee.gop_size = Int32(settings.framesPerSecond * settings.keyframeIntervalSeconds)
            c.pointee.max_b_frames = 0
            c.pointee.bit_rate = Int64(settings.bitrateKbps) * 1000
            c.pointee.rc_max_rate = c.pointee.bit_rate * 4 / 3
            c.pointee.rc_buffer_size = Int32(clamping: c.pointee.bit_rate * 2)
            c.pointee.profile = rr_profile_h264_high()
            c.pointee.color_range = AVCOL_RANGE_MPEG
            c.pointee.colorspace = AVCOL_SPC_BT709
            c.pointee.color_primaries = AVCOL_PRI_BT709
            c.pointee.color_trc = AVCOL_TRC_BT709
            let options = c.pointee.priv_data
            func set(_ key: String, _ value: String) throws(FFmpegError) {
                try FFmpegError.check(av_opt_set(options, key, value, 0), "av_opt_set(\(candidate.kind.rawValue) \(key)=\(value))")
            }
            switch candidate.kind {
            case .x264:
                try set("preset", settings.preset)
                try set("profile", "high")
                // Closed GOPs at a fixed interval: every fragment starts with a keyframe a player can decode from.
                // The 8x8 transform is what makes the stream High profile even on the fastest presets.
                // Lookahead at most 10 frames: each 1080p frame libx264 holds costs about 10 MB with its half-pixel
                // planes; medium would hold 40 of them (and 1.3 s of delay).
                try set("x264-params", "scenecut=0:open-gop=0:8x8dct=1:rc-lookahead=\(min(10, X264Calibration.lookahead(of: settings.preset)))")
            case .nvenc:
                try set("preset", "p4")
                try set("profile", "high")
                try set("rc", "vbr")
                try set("forced-idr", "1")
            case .qsv:
                c.pointee.pix_fmt = AV_PIX_FMT_NV12
                try set("preset", "medium")
                try set("profile", "high")
            case .vaapi:
                try encoder.attachGPUFrames(type: AV_HWDEVICE_TYPE_VAAPI, device: candidate.device, format: AV_PIX_FMT_VAAPI, context: c)
            case .v4l2m2m:
                break
            }
        }
    }
    /// H.264 for a live WebRTC publication, by libx264: constrained baseline (what every browser and phone
    /// decodes), tuned for zero latency (no lookahead, no frame held back), Annex B with SPS/PPS before every
    /// keyframe, a keyframe every two seconds and whenever a frame asks for one (`pict_type` I gives an IDR), and a
    /// one-second VBV at the bitrate, which may be changed between frames (libx264 reconfigures).
    static func h264Live(width: Int, height: Int, framesPerSecond: Int, bitrateKbps: Int, preset: String) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "libx264", label: "libx264 (\(preset), live)", globalHeader: false) { (_, c) throws(FFmpegError) in
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: 1, den: 90_000)
            c.pointee.framerate = AVRational(num: Int32(framesPerSecond), den: 1)
            c.pointee.gop_size = Int32(framesPerSecond * 2)
            c.pointee.max_b_frames = 0
            c.pointee.level = 31
            c.pointee.color_range = AVCOL_RANGE_MPEG
            c.pointee.colorspace = AVCOL_SPC_BT709
            c.pointee.color_primaries = AVCOL_PRI_BT709
            c.pointee.color_trc = AVCOL_TRC_BT709
            Encoder.setLiveBitrate(c, kbps: bitrateKbps)
            let options = c.pointee.priv_data
            for (key, value) in [("preset", preset), ("tune", "zerolatency"), ("profile", "baseline"), ("forced-idr", "1"),
                                 ("x264-params", "scenecut=0:slices=1")] {
                try FFmpegError.check(av_opt_set(options, key, value, 0), "av_opt_set(libx264 \(key)=\(value))")
            }
        }
    }

    /// Sets a live encoder's bitrate: a one-second VBV at that rate, so no second sends more than the estimate.
    static func setLiveBitrate(_ c: UnsafeMutablePointer<AVCodecContext>, kbps: Int) {
        c.pointee.bit_rate = Int64(kbps) * 1000
        c.pointee.rc_max_rate = c.pointee.bit_rate
        c.pointee.rc_buffer_size = Int32(clamping: c.pointee.bit_rate)
    }

    /// libopus at 48 kHz stereo in 20 ms packets (960 samples, interleaved float), constrained VBR, for a live
    /// publication.
    static func opusLive(bitrateKbps: Int) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "libopus", label: "libopus", globalHeader: false) { (_, c) throws(FFmpegError) in
            c.pointee.sample_fmt = AV_SAMPLE_FMT_FLT
            c.pointee.sample_rate = 48_000
            var stereo = rr_stereo_layout()
            try FFmpegError.check(av_channel_layout_copy(&c.pointee.ch_layout, &stereo), "av_channel_layout_copy")
            c.pointee.time_base = AVRational(num: 1, den: 48_000)
            c.pointee.bit_rate = Int64(bitrateKbps) * 1000
            // Constrained VBR: near the bitrate packet by packet, as a receiver's jitter buffer and estimate expect.
            try FFmpegError.check(av_opt_set(c.pointee.priv_data, "vbr", "constrained", 0), "av_opt_set(libopus vbr=constrained)")
        }
    }

    /// Motion JPEG, as a USB camera sends it (for calibrating on the work a camera's pictures cost).
    static func mjpeg(width: Int, height: Int) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "mjpeg", label: "mjpeg") { (_, c) throws(FFmpegError) in
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
            c.pointee.time_base = AVRational(num: 1, den: 30)
        }
    }

    /// FFmpeg's native AAC-LC encoder, 48 kHz stereo planar float.
    static func aac(_ settings: AudioEncoderSettings) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "aac", label: "aac (AAC-LC)") { (_, c) throws(FFmpegError) in
            c.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
            c.pointee.sample_rate = Int32(settings.sampleRate)
            var stereo = rr_stereo_layout()
            try FFmpegError.check(av_channel_layout_copy(&c.pointee.ch_layout, &stereo), "av_channel_layout_copy")
            c.pointee.time_base = AVRational(num: 1, den: Int32(settings.sampleRate))
            c.pointee.bit_rate = Int64(settings.bitrateKbps) * 1000
            c.pointee.profile = rr_profile_aac_low()
        }
    }

    /// Samples per audio frame the encoder takes (1024 for AAC).
    var frameSize: Int { Int(context.pointee.frame_size) }
    var timeBase: AVRational { context.pointee.time_base }

    /// Sends a frame whose `pts` is set in the encoder's time base; nil starts draining.
    func send(_ frame: MediaFrame?) throws(FFmpegError) {
        let prepared = try frame.map { (frame) throws(FFmpegError) in try prepare(frame) }
        try FFmpegError.check(avcodec_send_frame(context, prepared?.pointer), "avcodec_send_frame(\(name))")
    }

    /// A hardware device (`path`, or the default one) and a pool of GPU frames in NV12 for the encoder.
    private func attachGPUFrames(type: AVHWDeviceType, device path: String?, format: AVPixelFormat,
                                 context c: UnsafeMutablePointer<AVCodecContext>) throws(FFmpegError) {
        try FFmpegError.check(av_hwdevice_ctx_create(&device, type, path, nil, 0), "av_hwdevice_ctx_create(\(path ?? "default"))")
        guard let pool = av_hwframe_ctx_alloc(device) else { throw .missing("av_hwframe_ctx_alloc") }
        framePool = pool
        let frames = UnsafeMutableRawPointer(pool.pointee.data).assumingMemoryBound(to: AVHWFramesContext.self)
        frames.pointee.format = format
        frames.pointee.sw_format = AV_PIX_FMT_NV12
        frames.pointee.width = c.pointee.width
        frames.pointee.height = c.pointee.height
        frames.pointee.initial_pool_size = 20
        try FFmpegError.check(av_hwframe_ctx_init(pool), "av_hwframe_ctx_init")
        c.pointee.pix_fmt = format
        c.pointee.hw_frames_ctx = av_buffer_ref(pool)
    }

    /// The frame as the encoder takes it: converted to its pixel format, and uploaded to the GPU if it works there.
    private func prepare(_ frame: MediaFrame) throws(FFmpegError) -> MediaFrame {
        guard context.pointee.codec_type == AVMEDIA_TYPE_VIDEO else { return frame }
        var software = frame
        let wanted = framePool == nil ? context.pointee.pix_fmt : AV_PIX_FMT_NV12
        if AVPixelFormat(frame.pointer.pointee.format) != wanted {
            let converted = try MediaFrame.video(width: frame.width, height: frame.height, format: wanted, capturedAt: frame.capturedAt)
            converter = sws_getCachedContext(converter, Int32(frame.width), Int32(frame.height), AVPixelFormat(frame.pointer.pointee.format),
                                             Int32(frame.width), Int32(frame.height), wanted, SWS_POINT, nil, nil, nil)
            guard converter != nil else { throw FFmpegError(code: rr_averror(EINVAL), operation: "sws_getCachedContext(to \(wanted))") }
            try FFmpegError.check(sws_scale_frame(converter, converted.pointer, frame.pointer), "sws_scale_frame")
            converted.pointer.pointee.pts = frame.pointer.pointee.pts
            software = converted
        }
        guard let framePool else { return software }
        let uploaded = try MediaFrame(capturedAt: frame.capturedAt)
        try FFmpegError.check(av_hwframe_get_buffer(framePool, uploaded.pointer, 0), "av_hwframe_get_buffer")
        try FFmpegError.check(av_hwframe_transfer_data(uploaded.pointer, software.pointer, 0), "av_hwframe_transfer_data")
        uploaded.pointer.pointee.pts = frame.pointer.pointee.pts
        return uploaded
    }

    /// Hands every packet the encoder has ready to `body`, until it wants more input or is drained.
    func drain(into packet: MediaPacket, _ body: (MediaPacket) throws(FFmpegError) -> Void) throws(FFmpegError) {
        while true {
            let result = avcodec_receive_packet(context, packet.pointer)
            if result == rr_averror(EAGAIN) || result == rr_averror_eof() { return }
            try FFmpegError.check(result, "avcodec_receive_packet(\(name))")
            try body(packet)
            packet.unref()
        }
    }
}
