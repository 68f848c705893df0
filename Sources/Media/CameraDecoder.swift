import CFFmpeg
import RecorderCore

/// Turns a camera's buffers into pictures: MJPEG and H.264 decoded by libavcodec, raw YUYV, UYVY, NV12 and
/// YU12 copied into frames as they are (the compositor's libswscale takes any of them). Used from one thread.
public final class CameraDecoder {
    public let mode: CameraMode
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private let rawFormat: AVPixelFormat?
    private let packet: MediaPacket

    public init(mode: CameraMode) throws(FFmpegError) {
        self.mode = mode
        packet = try MediaPacket()
        let codecName: String?
        switch mode.pixelFormat {
        case "MJPG", "JPEG": (codecName, rawFormat) = ("mjpeg", nil)
        case "H264": (codecName, rawFormat) = ("h264", nil)
        case "YUYV": (codecName, rawFormat) = (nil, AV_PIX_FMT_YUYV422)
        case "UYVY": (codecName, rawFormat) = (nil, AV_PIX_FMT_UYVY422)
        case "NV12": (codecName, rawFormat) = (nil, AV_PIX_FMT_NV12)
        case "YU12": (codecName, rawFormat) = (nil, AV_PIX_FMT_YUV420P)
        default: throw FFmpegError(code: rr_averror(EINVAL), operation: "no decoder for the camera format \(mode.pixelFormat)")
        }
        guard let codecName else { return }
        guard let codec = avcodec_find_decoder_by_name(codecName), let context = avcodec_alloc_context3(codec) else {
            throw .missing("avcodec_find_decoder_by_name(\(codecName))")
        }
        decoder = context
        // Each buffer is one whole picture: no waiting for more to start decoding.
        context.pointee.flags |= AV_CODEC_FLAG_LOW_DELAY
        try FFmpegError.check(avcodec_open2(context, codec, nil), "avcodec_open2(\(codecName))")
    }

    deinit { avcodec_free_context(&decoder) }

    /// The picture in `bytes`, stamped `capturedAt`; nil for a buffer too short for its mode or a decoder that
    /// needs more data first.
    public func decode(_ bytes: UnsafeRawBufferPointer, capturedAt: MonotonicInstant) throws(FFmpegError) -> MediaFrame? {
        if let rawFormat {
            let size = Int(av_image_get_buffer_size(rawFormat, Int32(mode.width), Int32(mode.height), 1))
            guard bytes.count >= size, let base = bytes.baseAddress else { return nil }
            let frame = try MediaFrame.video(width: mode.width, height: mode.height, format: rawFormat, capturedAt: capturedAt)
            var planes: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?) = (nil, nil, nil, nil)
            var strides: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
            try withUnsafeMutableBytes(of: &planes) { planesRaw throws(FFmpegError) in
                try withUnsafeMutableBytes(of: &strides) { stridesRaw throws(FFmpegError) in
                    let p = planesRaw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).baseAddress!
                    let l = stridesRaw.bindMemory(to: Int32.self).baseAddress!
                    try FFmpegError.check(av_image_fill_arrays(p, l, base.assumingMemoryBound(to: UInt8.self), rawFormat,
                                                               Int32(mode.width), Int32(mode.height), 1), "av_image_fill_arrays")
                    withUnsafeMutablePointer(to: &frame.pointer.pointee.data) { data in
                        withUnsafeMutablePointer(to: &frame.pointer.pointee.linesize) { linesize in
                            data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                                linesize.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
                                    p.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 4) { src in
                                        av_image_copy(dst, dstStride, src, l, rawFormat, Int32(mode.width), Int32(mode.height))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return frame
        }
        guard let decoder, let base = bytes.baseAddress else { return nil }
        packet.unref()
        packet.pointer.pointee.data = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        packet.pointer.pointee.size = Int32(bytes.count)
        defer {
            packet.pointer.pointee.data = nil
            packet.pointer.pointee.size = 0
        }
        let sent = avcodec_send_packet(decoder, packet.pointer)
        // A corrupt JPEG from a USB glitch is skipped, not fatal.
        if sent == rr_averror(EINVAL) || sent == rr_averror_invaliddata() { return nil }
        try FFmpegError.check(sent, "avcodec_send_packet(\(mode.pixelFormat))")
        let frame = try MediaFrame(capturedAt: capturedAt)
        let received = avcodec_receive_frame(decoder, frame.pointer)
        if received == rr_averror(EAGAIN) || received == rr_averror_invaliddata() { return nil }
        try FFmpegError.check(received, "avcodec_receive_frame(\(mode.pixelFormat))")
        return frame
    }
}
