import CFFmpeg
import RecorderCore

/// Encodes the room's camera for a live publication into the online session: each picture (any size or pixel
/// format) is scaled by libswscale to fit the publication's size, its aspect kept, and encoded by libx264 as
/// constrained-baseline H.264 with no delay (``Encoder/h264Live(width:height:framesPerSecond:bitrateKbps:preset:)``).
/// The size is fixed by the first picture. Used from one thread.
public final class LiveVideoEncoder {
    public let maxWidth: Int
    public let maxHeight: Int
    public let framesPerSecond: Int
    private let preset: String
    private var encoder: Encoder?
    private var scaled: MediaFrame?
    private var scaler: OpaquePointer?
    private let packet: MediaPacket
    private var origin: MonotonicInstant?
    private var lastPTS: Int64 = -1
    private var appliedKbps = 0

    /// The encoded picture's size, once the first picture came.
    public var size: (width: Int, height: Int)? { encoder.map { (Int($0.context.pointee.width), Int($0.context.pointee.height)) } }

    public init(maxWidth: Int = 1280, maxHeight: Int = 720, framesPerSecond: Int = 30, preset: String = "veryfast") throws(FFmpegError) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.framesPerSecond = framesPerSecond
        self.preset = preset
        packet = try MediaPacket()
    }

    deinit { sws_freeContext(scaler) }

    /// The largest even size within the maximum that keeps a `width`×`height` picture's aspect.
    static func fit(width: Int, height: Int, maxWidth: Int, maxHeight: Int) -> (width: Int, height: Int) {
        let scale = min(1, Double(maxWidth) / Double(width), Double(maxHeight) / Double(height))
        let even = { (value: Double) in max(2, Int(value / 2) * 2) }
        return (even(Double(width) * scale), even(Double(height) * scale))
    }

    /// Encodes a picture at `bitrateKbps` (a change applies from this picture on), as a keyframe if asked;
    /// returns the access units ready (one, with no delay).
    public func encode(_ picture: MediaFrame, bitrateKbps: Int, keyframe: Bool) throws(FFmpegError) -> [LocalMediaFrame] {
        let encoder = try opened(for: picture, bitrateKbps: bitrateKbps)
        if bitrateKbps != appliedKbps {
            Encoder.setLiveBitrate(encoder.context, kbps: bitrateKbps)
            appliedKbps = bitrateKbps
        }
        let frame = try scale(picture, to: encoder)
        let start = origin ?? picture.capturedAt
        origin = start
        // Capture instants to 1/90000 s, strictly increasing (a camera may stamp two pictures alike).
        let pts = max(lastPTS + 1, Int64((picture.capturedAt.seconds(since: start) * 90_000).rounded()))
        lastPTS = pts
        frame.pointer.pointee.pts = pts
        frame.pointer.pointee.pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
        try encoder.send(frame)
        var units: [LocalMediaFrame] = []
        let duration = 1 / Double(framesPerSecond)
        try encoder.drain(into: packet) { (packet) throws(FFmpegError) in
            let p = packet.pointer.pointee
            units.append(LocalMediaFrame(kind: .video, data: Array(UnsafeBufferPointer(start: p.data, count: Int(p.size))),
                                         keyframe: p.flags & AV_PKT_FLAG_KEY != 0, duration: duration))
        }
        return units
    }

    private func opened(for picture: MediaFrame, bitrateKbps: Int) throws(FFmpegError) -> Encoder {
        if let encoder { return encoder }
        let size = Self.fit(width: picture.width, height: picture.height, maxWidth: maxWidth, maxHeight: maxHeight)
        let opened = try Encoder.h264Live(width: size.width, height: size.height, framesPerSecond: framesPerSecond,
                                          bitrateKbps: bitrateKbps, preset: preset)
        appliedKbps = bitrateKbps
        scaled = try MediaFrame.video(width: size.width, height: size.height, format: AV_PIX_FMT_YUV420P, capturedAt: picture.capturedAt)
        encoder = opened
        return opened
    }

    /// The picture in the encoder's size and format (the one frame, reused).
    private func scale(_ picture: MediaFrame, to encoder: Encoder) throws(FFmpegError) -> MediaFrame {
        guard let scaled else { throw .missing("the scaled frame") }
        try FFmpegError.check(av_frame_make_writable(scaled.pointer), "av_frame_make_writable")
        let source = picture.pointer.pointee
        guard let context = sws_getCachedContext(scaler, source.width, source.height, AVPixelFormat(source.format), Int32(scaled.width),
                                                 Int32(scaled.height), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil) else {
            throw FFmpegError(code: rr_averror(EINVAL), operation: "sws_getCachedContext(\(source.width)x\(source.height) → \(scaled.width)x\(scaled.height))")
        }
        scaler = context
        try FFmpegError.check(sws_scale_frame(context, scaled.pointer, picture.pointer), "sws_scale_frame")
        scaled.capturedAt = picture.capturedAt
        return scaled
    }
}
