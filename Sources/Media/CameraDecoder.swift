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
    /// needs more data first. `bytesPerLine` is the driver's stride of a raw picture (0: lines not padded).
    public func decode(_ bytes: UnsafeRawBufferPointer, capturedAt: MonotonicInstant, bytesPerLine: Int = 0) throws(FFmpegError) -> MediaFrame? {
        if let rawFormat {
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            let (w, h) = (mode.width, mode.height)
            // Where each plane starts and its stride, as V4L2 lays single-buffer formats out.
            let layout: [(offset: Int, stride: Int)]
            switch rawFormat {
            case AV_PIX_FMT_YUYV422, AV_PIX_FMT_UYVY422:
                let stride = max(bytesPerLine, w * 2)
                layout = [(0, stride)]
            case AV_PIX_FMT_NV12:
                let stride = max(bytesPerLine, w)
                layout = [(0, stride), (stride * h, stride)]
            default:  // YU12: Y, then U and V at half the stride
                let stride = max(bytesPerLine, w)
                layout = [(0, stride), (stride * h, stride / 2), (stride * h + stride / 2 * h / 2, stride / 2)]
            }
            let last = layout.last!
            let lastHeight = layout.count == 1 ? h : h / 2
            guard bytes.count >= last.offset + last.stride * lastHeight else { return nil }
            let frame = try MediaFrame.video(width: w, height: h, format: rawFormat, capturedAt: capturedAt)
            var sourcePlanes: [UnsafePointer<UInt8>?] = layout.map { UnsafePointer(base + $0.offset) } + Array(repeating: nil, count: 4 - layout.count)
            var sourceStrides: [Int32] = layout.map { Int32($0.stride) } + Array(repeating: 0, count: 4 - layout.count)
            withUnsafeMutablePointer(to: &frame.pointer.pointee.data) { data in
                withUnsafeMutablePointer(to: &frame.pointer.pointee.linesize) { linesize in
                    data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                        linesize.withMemoryRebound(to: Int32.self, capacity: 8) { dstStride in
                            av_image_copy(dst, dstStride, &sourcePlanes, &sourceStrides, rawFormat, Int32(w), Int32(h))
                        }
                    }
                }
            }
            return frame
        }
        guard let decoder, bytes.baseAddress != nil else { return nil }
        let sent = packet.send(bytes, to: decoder)
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
