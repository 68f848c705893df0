import CFFmpeg

/// An owned, opened libavcodec encoder. Frames go in with `send`, packets come out through `drain`.
final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    /// A readable name, e.g. "libx264 (veryfast)".
    let name: String

    private init(codecName: String, label: String, configure: (UnsafeMutablePointer<AVCodecContext>) throws(FFmpegError) -> Void) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw FFmpegError(code: rr_averror(ENOENT), operation: "avcodec_find_encoder_by_name(\(codecName))")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw .missing("avcodec_alloc_context3") }
        self.context = context
        self.name = label
        try configure(context)
        context.pointee.flags |= rr_codec_flag_global_header()
        try FFmpegError.check(avcodec_open2(context, codec, nil), "avcodec_open2(\(codecName))")
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
    }

    /// libx264, H.264 High profile, yuv420p, timestamps in 1/90000 s.
    static func h264(_ settings: VideoEncoderSettings) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "libx264", label: "libx264 (\(settings.preset))") { (c) throws(FFmpegError) in
            c.pointee.width = Int32(settings.width)
            c.pointee.height = Int32(settings.height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: 1, den: 90_000)
            c.pointee.framerate = AVRational(num: Int32(settings.framesPerSecond), den: 1)
            c.pointee.gop_size = Int32(settings.framesPerSecond * settings.keyframeIntervalSeconds)
            // No B-frames: decode order equals capture order, so timestamps never need shifting or an edit list.
            c.pointee.max_b_frames = 0
            c.pointee.bit_rate = Int64(settings.bitrateKbps) * 1000
            c.pointee.rc_max_rate = c.pointee.bit_rate * 4 / 3
            c.pointee.rc_buffer_size = Int32(clamping: c.pointee.bit_rate * 2)
            c.pointee.profile = rr_profile_h264_high()
            c.pointee.color_range = AVCOL_RANGE_MPEG
            c.pointee.colorspace = AVCOL_SPC_BT709
            c.pointee.color_primaries = AVCOL_PRI_BT709
            c.pointee.color_trc = AVCOL_TRC_BT709
            try FFmpegError.check(av_opt_set(c.pointee.priv_data, "preset", settings.preset, 0), "av_opt_set(preset)")
            try FFmpegError.check(av_opt_set(c.pointee.priv_data, "profile", "high", 0), "av_opt_set(profile)")
            // Closed GOPs at a fixed interval: every fragment starts with a keyframe a player can decode from.
            // The 8x8 transform is what makes the stream High profile even on the fastest presets.
            try FFmpegError.check(av_opt_set(c.pointee.priv_data, "x264-params", "scenecut=0:open-gop=0:8x8dct=1", 0), "av_opt_set(x264-params)")
        }
    }

    /// FFmpeg's native AAC-LC encoder, 48 kHz stereo planar float.
    static func aac(_ settings: AudioEncoderSettings) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "aac", label: "aac (AAC-LC)") { (c) throws(FFmpegError) in
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
        try FFmpegError.check(avcodec_send_frame(context, frame?.pointer), "avcodec_send_frame(\(name))")
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
