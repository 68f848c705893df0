import CFFmpeg
import RecorderCore

/// Decodes a remote participant's track with libavcodec: H.264 access units and VP8 frames into pictures, Opus
/// packets into 48 kHz stereo samples. Each output is stamped with the instant its packet arrived (audio: the
/// instant its first sample was due, so consecutive packets line up). Used from one thread at a time.
public final class RemoteTrackDecoder {
    public let codec: String
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private let packet: MediaPacket
    /// Where the next audio packet's first sample falls, while packets keep arriving on time.
    private var nextAudioInstant: MonotonicInstant?

    /// `codec` is `h264`, `vp8` or `opus`.
    public init(codec: String) throws(FFmpegError) {
        self.codec = codec
        packet = try MediaPacket()
        guard ["h264", "vp8", "opus"].contains(codec), let decoder = avcodec_find_decoder_by_name(codec),
              let context = avcodec_alloc_context3(decoder) else {
            throw FFmpegError(code: rr_averror(EINVAL), operation: "no decoder for a participant's \(codec)")
        }
        self.context = context
        if codec == "opus" {
            context.pointee.sample_rate = 48_000
            av_channel_layout_default(&context.pointee.ch_layout, 2)
        } else {
            context.pointee.flags |= AV_CODEC_FLAG_LOW_DELAY
        }
        try FFmpegError.check(avcodec_open2(context, decoder, nil), "avcodec_open2(\(codec))")
    }

    deinit { avcodec_free_context(&context) }

    /// The pictures or samples in one packet; none while the decoder waits for a keyframe or more data. A corrupt
    /// packet (loss the transport could not repair) is skipped.
    public func decode(_ bytes: [UInt8], arrivedAt: MonotonicInstant) throws(FFmpegError) -> [MediaFrame] {
        guard let context, !bytes.isEmpty else { return [] }
        let sent = bytes.withUnsafeBytes { packet.send($0, to: context) }
        if sent == rr_averror_invaliddata() || sent == rr_averror(EINVAL) { return [] }
        try FFmpegError.check(sent, "avcodec_send_packet(\(codec))")
        var frames: [MediaFrame] = []
        while true {
            let frame = try MediaFrame(capturedAt: arrivedAt)
            let received = avcodec_receive_frame(context, frame.pointer)
            if received == rr_averror(EAGAIN) || received == rr_averror_eof() || received == rr_averror_invaliddata() { break }
            try FFmpegError.check(received, "avcodec_receive_frame(\(codec))")
            if codec == "opus" { frame.capturedAt = audioInstant(for: frame, arrivedAt: arrivedAt) }
            frames.append(frame)
        }
        return frames
    }

    /// Packets arrive with network jitter; their samples are continuous. The first sample of a packet is placed
    /// right after the previous one's last, unless that is more than 60 ms from when it arrived (a gap, or the
    /// sender restarted): then it starts again from its arrival.
    private func audioInstant(for frame: MediaFrame, arrivedAt: MonotonicInstant) -> MonotonicInstant {
        let duration = Double(frame.sampleCount) / Double(max(1, frame.pointer.pointee.sample_rate))
        let arrivalStart = arrivedAt.advanced(by: -duration)
        var start = nextAudioInstant ?? arrivalStart
        if abs(start.seconds(since: arrivalStart)) > 0.06 { start = arrivalStart }
        nextAudioInstant = start.advanced(by: duration)
        return start
    }
}
