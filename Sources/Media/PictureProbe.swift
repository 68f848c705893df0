import CFFmpeg

/// Looks at a picture the cheap way, for the alarms: scaled to 64×36 grey by libswscale, its mean brightness
/// and a signature of its content (equal for identical pictures; a frozen camera repeats it). Holds its scaler,
/// made again when the pictures' size or format changes; used by one thread at a time.
public final class PictureProbe: @unchecked Sendable {
    public struct Look: Sendable {
        public var signature: UInt64
        /// 0 (black) to 255 (white).
        public var meanLuma: Double
    }

    static let width = 64
    static let height = 36
    private var scaler: OpaquePointer?
    private var grey = [UInt8](repeating: 0, count: PictureProbe.width * PictureProbe.height)

    public init() {}

    deinit { sws_freeContext(scaler) }

    public func look(at picture: MediaFrame) throws(FFmpegError) -> Look {
        let source = picture.pointer.pointee
        guard let scaler = sws_getCachedContext(scaler, source.width, source.height, AVPixelFormat(source.format),
                                                Int32(Self.width), Int32(Self.height), AV_PIX_FMT_GRAY8, SWS_AREA, nil, nil, nil) else {
            throw .missing("sws_getCachedContext(probe)")
        }
        self.scaler = scaler
        let scaled = grey.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var planes: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress, nil, nil, nil]
            var strides: [Int32] = [Int32(Self.width), 0, 0, 0]
            return withUnsafePointer(to: picture.pointer.pointee.data) { data in
                withUnsafePointer(to: picture.pointer.pointee.linesize) { lines in
                    data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sourcePlanes in
                        lines.withMemoryRebound(to: Int32.self, capacity: 8) { sourceStrides in
                            sws_scale(scaler, sourcePlanes, sourceStrides, 0, source.height, &planes, &strides)
                        }
                    }
                }
            }
        }
        try FFmpegError.check(scaled, "sws_scale(probe)")
        // FNV-1a over the grey pixels; the sum for the mean.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var sum = 0
        for value in grey {
            hash = (hash ^ UInt64(value)) &* 0x100_0000_01b3
            sum += Int(value)
        }
        return Look(signature: hash, meanLuma: Double(sum) / Double(grey.count))
    }
}
