import CFFmpeg
import RecorderCore

/// An owned `AVFrame` (video picture or audio samples) with the monotonic instant it was captured at.
///
/// The frame is handed from one stage to the next and used by one thread at a time, which is why it is
/// `@unchecked Sendable`; it frees its buffers when the last reference goes.
public final class MediaFrame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>
    /// When this frame's first sample or picture was captured.
    public var capturedAt: MonotonicInstant

    init(capturedAt: MonotonicInstant = .now()) throws(FFmpegError) {
        guard let frame = av_frame_alloc() else { throw .missing("av_frame_alloc") }
        pointer = frame
        self.capturedAt = capturedAt
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    /// How a frame's audio samples are laid out.
    public enum SampleFormat: Sendable {
        /// 32-bit float, one plane per channel (what the AAC encoder takes).
        case floatPlanar
        /// 32-bit float, channels interleaved (what libopus takes).
        case float
        /// Signed 16-bit, channels interleaved (what most sound cards give).
        case s16
        /// Signed 32-bit, channels interleaved.
        case s32

        var ffmpeg: AVSampleFormat {
            switch self {
            case .floatPlanar: AV_SAMPLE_FMT_FLTP
            case .float: AV_SAMPLE_FMT_FLT
            case .s16: AV_SAMPLE_FMT_S16
            case .s32: AV_SAMPLE_FMT_S32
            }
        }
    }

    /// An audio frame of `samples` samples per channel (48 kHz stereo planar float unless asked otherwise).
    public static func audio(samples: Int, sampleRate: Int = 48_000, channels: Int = 2, format: SampleFormat = .floatPlanar,
                             capturedAt: MonotonicInstant) throws(FFmpegError) -> MediaFrame {
        let frame = try MediaFrame(capturedAt: capturedAt)
        frame.pointer.pointee.format = format.ffmpeg.rawValue
        frame.pointer.pointee.nb_samples = Int32(samples)
        frame.pointer.pointee.sample_rate = Int32(sampleRate)
        av_channel_layout_default(&frame.pointer.pointee.ch_layout, Int32(channels))
        try FFmpegError.check(av_frame_get_buffer(frame.pointer, 0), "av_frame_get_buffer(audio)")
        return frame
    }

    /// The bytes of an interleaved frame's samples (all channels, sample by sample), for filling from a device.
    public func withInterleavedBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        let frame = pointer.pointee
        let bytes = sampleCount * Int(frame.ch_layout.nb_channels) * Int(av_get_bytes_per_sample(AVSampleFormat(frame.format)))
        return body(UnsafeMutableRawBufferPointer(start: frame.extended_data[0], count: bytes))
    }

    /// The samples of an interleaved 16-bit frame (all channels, sample by sample), for reading or writing.
    public func withInterleavedInt16<R>(_ body: (UnsafeMutableBufferPointer<Int16>) -> R) -> R {
        let count = sampleCount * Int(pointer.pointee.ch_layout.nb_channels)
        return pointer.pointee.extended_data[0]!.withMemoryRebound(to: Int16.self, capacity: count) {
            body(UnsafeMutableBufferPointer(start: $0, count: count))
        }
    }

    /// A picture of `width`×`height` in `format`, its buffers allocated (contents undefined).
    static func video(width: Int, height: Int, format: AVPixelFormat, capturedAt: MonotonicInstant) throws(FFmpegError) -> MediaFrame {
        let frame = try MediaFrame(capturedAt: capturedAt)
        frame.pointer.pointee.format = format.rawValue
        frame.pointer.pointee.width = Int32(width)
        frame.pointer.pointee.height = Int32(height)
        try FFmpegError.check(av_frame_get_buffer(frame.pointer, 0), "av_frame_get_buffer(video)")
        return frame
    }

    /// The bytes of one plane of a picture and its stride, for reading.
    public func withRawPlane<R>(_ plane: Int, _ body: (UnsafeBufferPointer<UInt8>, Int) -> R) -> R {
        let frame = pointer.pointee
        let stride = Int(withUnsafeBytes(of: frame.linesize) { $0.bindMemory(to: Int32.self)[plane] })
        let base = withUnsafeBytes(of: frame.data) { $0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)[plane] }
        let rows = plane == 0 ? height : (height + 1) / 2
        return body(UnsafeBufferPointer(start: base, count: stride * rows), stride)
    }

    /// A copy of this picture in buffers of its own (the producer may reuse its own for the next picture): what a
    /// preview keeps.
    public func copied() throws(FFmpegError) -> MediaFrame {
        let copy = try MediaFrame.video(width: width, height: height, format: AVPixelFormat(pointer.pointee.format), capturedAt: capturedAt)
        try FFmpegError.check(av_frame_copy(copy.pointer, pointer), "av_frame_copy")
        return copy
    }

    public var sampleCount: Int { Int(pointer.pointee.nb_samples) }
    /// A picture's size in pixels.
    public var width: Int { Int(pointer.pointee.width) }
    public var height: Int { Int(pointer.pointee.height) }

    /// The samples of one channel of a planar float frame, for writing.
    public func withChannel<R>(_ channel: Int, _ body: (UnsafeMutableBufferPointer<Float>) -> R) -> R {
        let base = pointer.pointee.extended_data[channel]!
        return base.withMemoryRebound(to: Float.self, capacity: sampleCount) {
            body(UnsafeMutableBufferPointer(start: $0, count: sampleCount))
        }
    }
}
