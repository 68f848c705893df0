import Foundation

/// One way a camera can deliver pictures: a pixel format (V4L2 fourcc), a size and a frame rate.
public struct CameraMode: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The V4L2 fourcc, e.g. "MJPG", "YUYV", "NV12", "H264".
    public var pixelFormat: String
    public var width: Int
    public var height: Int
    public var framesPerSecond: Double

    public init(_ pixelFormat: String, _ width: Int, _ height: Int, fps: Double) {
        self.pixelFormat = pixelFormat
        self.width = width
        self.height = height
        framesPerSecond = fps
    }

    public var description: String {
        let fps = framesPerSecond == framesPerSecond.rounded() ? "\(Int(framesPerSecond))" : "\(framesPerSecond)"
        return "\(pixelFormat) \(width)x\(height)@\(fps)"
    }
}

/// The camera mode to record 1080p30 from, the way a person who knows cameras would pick it: a full frame rate
/// first (25 fps or more; a 1080p YUYV mode at 5 fps is worse than MJPEG at 30), then a size that covers
/// 1080p, then the canvas's 16:9 shape (1280×720 over 1280×960 for a 16:9 recording), then the least to scale
/// (exactly 1920×1080 best; larger is scaled down, smaller up), then 30 fps
/// over faster rates, then the format that costs least to use: raw NV12 or YUYV (no decoding; offered at this
/// size and rate, the USB bandwidth allows it), then MJPEG, then the camera's own H.264.
public enum CameraModeChoice {
    /// The modes' pixel formats in the order they are preferred at equal size and rate; others are not used.
    public static let formats = ["NV12", "YUYV", "UYVY", "YU12", "MJPG", "JPEG", "H264"]

    /// The best mode for `target`, and why; nil when the camera offers no usable format.
    public static func choose(from modes: [CameraMode], targetWidth: Int = 1920, targetHeight: Int = 1080,
                              targetFramesPerSecond: Double = 30) -> (mode: CameraMode, reason: String)? {
        let usable = modes.filter { formats.contains($0.pixelFormat) && $0.width > 0 && $0.height > 0 }
        let targetPixels = Double(targetWidth * targetHeight)
        func key(_ m: CameraMode) -> [Double] {
            let fullRate = m.framesPerSecond >= min(25, targetFramesPerSecond) - 0.1 ? 1.0 : 0
            let covers = m.height >= targetHeight ? 1.0 : 0
            let pixels = Double(m.width * m.height)
            let closeness = -abs(log(pixels / targetPixels))
            let shape = -(abs(log(Double(m.width) / Double(m.height) / (Double(targetWidth) / Double(targetHeight)))) * 100).rounded()
            let rate = m.framesPerSecond >= targetFramesPerSecond - 0.1 ? -abs(m.framesPerSecond - targetFramesPerSecond) : m.framesPerSecond - 1000
            let format = -Double(formats.firstIndex(of: m.pixelFormat)!)
            return [fullRate, covers, shape, closeness, rate, format]
        }
        guard let best = usable.max(by: { key($0).lexicographicallyPrecedes(key($1)) }) else { return nil }
        var why: [String] = []
        if best.framesPerSecond < 24.9 { why.append("no mode reaches 25 fps") }
        if best.width == targetWidth && best.height == targetHeight {
            why.append("exactly \(targetWidth)x\(targetHeight)")
        } else if best.height >= targetHeight {
            why.append("the smallest size that covers \(targetHeight)p, scaled down")
        } else {
            why.append("no mode covers \(targetHeight)p at a full frame rate; scaled up")
        }
        let alternatives = usable.filter { $0.width == best.width && $0.height == best.height && abs($0.framesPerSecond - best.framesPerSecond) < 0.1 }
            .map(\.pixelFormat).filter { $0 != best.pixelFormat }
        switch best.pixelFormat {
        case "MJPG", "JPEG": why.append(alternatives.isEmpty ? "decoded from MJPEG" : "MJPEG over \(alternatives.joined(separator: ", "))")
        case "H264": why.append("the camera's own H.264, decoded")
        default: why.append("raw \(best.pixelFormat), no decoding")
        }
        return (best, why.joined(separator: "; "))
    }
}
