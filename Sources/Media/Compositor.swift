import CFFmpeg
import RecorderCore

/// Draws the stage: the canvas (1920×1080 YUV 4:2:0) filled with the background, then each source's picture
/// scaled by libswscale straight into its tile (any size, frame rate or pixel format in), or a neutral slate
/// for a source with no recent picture. Where the tiles go is ``StageLayout``'s decision. Used from one thread.
public final class Compositor {
    /// Y, U, V of the canvas behind the tiles (a dark neutral grey).
    public static let background: (y: UInt8, u: UInt8, v: UInt8) = (32, 128, 128)
    /// Y, U, V of a tile whose source sends no picture (a mid neutral grey).
    public static let slate: (y: UInt8, u: UInt8, v: UInt8) = (96, 128, 128)

    public let width: Int
    public let height: Int
    public var mode: StageLayout.Mode
    /// The layout of the last frame composed.
    public private(set) var layout: StageLayout
    private let canvas: MediaFrame
    private var scalers: [String: OpaquePointer] = [:]

    public init(width: Int = 1920, height: Int = 1080, mode: StageLayout.Mode = .auto) throws(FFmpegError) {
        self.width = width
        self.height = height
        self.mode = mode
        layout = StageLayout(sources: [], mode: mode, canvasWidth: width, canvasHeight: height)
        canvas = try MediaFrame.video(width: width, height: height, format: AV_PIX_FMT_YUV420P, capturedAt: .now())
    }

    deinit { for scaler in scalers.values { sws_freeContext(scaler) } }

    /// Composes `inputs` (in stage order; a nil picture shows the slate) for the instant `at`. The frame
    /// returned is the compositor's canvas: it is valid until the next call.
    public func compose(_ inputs: [(source: StageLayout.Source, picture: MediaFrame?)], speakerId: String? = nil,
                        at instant: MonotonicInstant) throws(FFmpegError) -> MediaFrame {
        layout = StageLayout(sources: inputs.map(\.source), mode: mode, speakerId: speakerId, canvasWidth: width, canvasHeight: height)
        // The encoder may still hold the last canvas: give it a buffer of its own if so.
        try FFmpegError.check(av_frame_make_writable(canvas.pointer), "av_frame_make_writable")
        fill(StageLayout.Rect(x: 0, y: 0, width: width, height: height), with: Self.background)
        let pictures = Dictionary(inputs.map { ($0.source.id, $0.picture) }, uniquingKeysWith: { a, _ in a })
        for tile in layout.tiles {
            if let picture = pictures[tile.sourceId] ?? nil {
                try draw(picture, into: tile.rect, scalerKey: tile.sourceId)
            } else {
                fill(tile.rect, with: Self.slate)
            }
        }
        // Scalers of sources that left are freed.
        for gone in Set(scalers.keys).subtracting(pictures.keys) { sws_freeContext(scalers.removeValue(forKey: gone)) }
        canvas.capturedAt = instant
        return canvas
    }

    private func draw(_ picture: MediaFrame, into rect: StageLayout.Rect, scalerKey: String) throws(FFmpegError) {
        let source = picture.pointer.pointee
        guard let scaler = sws_getCachedContext(scalers[scalerKey], source.width, source.height, AVPixelFormat(source.format),
                                                Int32(rect.width), Int32(rect.height), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil) else {
            throw FFmpegError(code: rr_averror(EINVAL), operation: "sws_getCachedContext(\(source.width)x\(source.height) → \(rect))")
        }
        scalers[scalerKey] = scaler
        let target = canvas.pointer.pointee
        var planes: [UnsafeMutablePointer<UInt8>?] = [
            target.data.0! + rect.y * Int(target.linesize.0) + rect.x,
            target.data.1! + rect.y / 2 * Int(target.linesize.1) + rect.x / 2,
            target.data.2! + rect.y / 2 * Int(target.linesize.2) + rect.x / 2,
            nil,
        ]
        var strides: [Int32] = [target.linesize.0, target.linesize.1, target.linesize.2, 0]
        let result = withUnsafePointer(to: picture.pointer.pointee.data) { data in
            withUnsafePointer(to: picture.pointer.pointee.linesize) { linesize in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
                    linesize.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
                        sws_scale(scaler, sourcePlanes, sourceStrides, 0, source.height, &planes, &strides)
                    }
                }
            }
        }
        try FFmpegError.check(result, "sws_scale")
    }

    private func fill(_ rect: StageLayout.Rect, with colour: (y: UInt8, u: UInt8, v: UInt8)) {
        let frame = canvas.pointer.pointee
        for row in rect.y..<(rect.y + rect.height) {
            (frame.data.0! + row * Int(frame.linesize.0) + rect.x).update(repeating: colour.y, count: rect.width)
        }
        for row in (rect.y / 2)..<((rect.y + rect.height) / 2) {
            (frame.data.1! + row * Int(frame.linesize.1) + rect.x / 2).update(repeating: colour.u, count: rect.width / 2)
            (frame.data.2! + row * Int(frame.linesize.2) + rect.x / 2).update(repeating: colour.v, count: rect.width / 2)
        }
    }
}
