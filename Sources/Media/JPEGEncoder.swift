import CFFmpeg
import Foundation

/// Encodes pictures as JPEG with libavcodec's MJPEG encoder, scaled by libswscale to the width asked for (the
/// height keeps the picture's shape): the previews. Owns its codec context and scaler, made again when the
/// size changes; used by one caller at a time.
public final class JPEGEncoder: @unchecked Sendable {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var scaler: OpaquePointer?
    private var scaled: MediaFrame?
    /// JPEG quality as MJPEG's qscale (2 best … 31 worst).
    private let quality: Int32
    /// Each picture's timestamp: the encoder refuses one that does not grow.
    private var next: Int64 = 0

    public init(quality: Int32 = 5) { self.quality = quality }

    deinit {
        avcodec_free_context(&context)
        sws_freeContext(scaler)
    }

    /// The JPEG of `picture` at `width` pixels wide (even, at most the picture's own width).
    public func encode(_ picture: MediaFrame, width requested: Int) throws(FFmpegError) -> Data {
        let source = picture.pointer.pointee
        let width = max(16, min(Int(source.width), requested)) & ~1
        let height = max(16, Int((Double(width) * Double(source.height) / Double(max(1, source.width))).rounded())) & ~1
        if context == nil || Int(context!.pointee.width) != width || Int(context!.pointee.height) != height {
            try open(width: width, height: height)
        }
        guard let scaler = sws_getCachedContext(scaler, source.width, source.height, AVPixelFormat(source.format),
                                                Int32(width), Int32(height), AV_PIX_FMT_YUVJ420P, SWS_BICUBIC, nil, nil, nil) else {
            throw .missing("sws_getCachedContext(preview)")
        }
        self.scaler = scaler
        let target = scaled!
        try FFmpegError.check(av_frame_make_writable(target.pointer), "av_frame_make_writable(preview)")
        let result = withUnsafePointer(to: picture.pointer.pointee.data) { data in
            withUnsafePointer(to: picture.pointer.pointee.linesize) { lines in
                withUnsafeMutablePointer(to: &target.pointer.pointee.data) { targetData in
                    withUnsafeMutablePointer(to: &target.pointer.pointee.linesize) { targetLines in
                        data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
                            lines.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
                                targetData.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { targetPlanes in
                                    targetLines.withMemoryRebound(to: Int32.self, capacity: 8) { targetStrides in
                                        sws_scale(scaler, sourcePlanes, sourceStrides, 0, source.height, targetPlanes, targetStrides)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try FFmpegError.check(result, "sws_scale(preview)")
        target.pointer.pointee.quality = quality * FF_QP2LAMBDA
        target.pointer.pointee.pts = next
        next += 1
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        guard let received = packet else { throw .missing("av_packet_alloc") }
        defer { av_packet_free(&packet) }
        do {
            try FFmpegError.check(avcodec_send_frame(context, target.pointer), "avcodec_send_frame(mjpeg)")
            try FFmpegError.check(avcodec_receive_packet(context, received), "avcodec_receive_packet(mjpeg)")
        } catch {
            // A picture left inside a failed encoder would refuse every next one: the next preview starts afresh.
            avcodec_free_context(&context)
            throw error
        }
        return Data(bytes: received.pointee.data, count: Int(received.pointee.size))
    }

    /// Makes the codec context and the scaled picture for a size, kept only when both are ready.
    private func open(width: Int, height: Int) throws(FFmpegError) {
        avcodec_free_context(&context)
        scaled = nil
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { throw .missing("avcodec_find_encoder(mjpeg)") }
        var made: UnsafeMutablePointer<AVCodecContext>? = avcodec_alloc_context3(codec)
        guard let fresh = made else { throw .missing("avcodec_alloc_context3(mjpeg)") }
        fresh.pointee.width = Int32(width)
        fresh.pointee.height = Int32(height)
        fresh.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        fresh.pointee.time_base = AVRational(num: 1, den: 25)
        fresh.pointee.flags |= AV_CODEC_FLAG_QSCALE
        fresh.pointee.global_quality = quality * FF_QP2LAMBDA
        do {
            try FFmpegError.check(avcodec_open2(fresh, codec, nil), "avcodec_open2(mjpeg)")
            scaled = try MediaFrame.video(width: width, height: height, format: AV_PIX_FMT_YUVJ420P, capturedAt: .now())
        } catch {
            avcodec_free_context(&made)
            throw error
        }
        context = fresh
    }
}
