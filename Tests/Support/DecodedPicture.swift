import Foundation

/// A frame of a media file decoded by the `ffmpeg` command line to 8-bit RGB, for checking colours.
public struct DecodedPicture: Sendable {
    public let width: Int
    public let height: Int
    private let rgb: [UInt8]

    /// The colour at (x, y).
    public func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int) {
        let i = (y * width + x) * 3
        return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
    }

    /// Whether the colour at (x, y) is within `tolerance` of `colour` on every channel.
    public func matches(_ x: Int, _ y: Int, _ colour: (r: Int, g: Int, b: Int), tolerance: Int = 40) -> Bool {
        let p = pixel(x, y)
        return abs(p.r - colour.r) <= tolerance && abs(p.g - colour.g) <= tolerance && abs(p.b - colour.b) <= tolerance
    }

    /// Frames `indexes` (counted from 0) of the video in `path`, decoded at `width`×`height`.
    public static func frames(_ indexes: [Int], of path: String, width: Int = 1920, height: Int = 1080) throws -> [Int: DecodedPicture] {
        let sorted = indexes.sorted()
        let select = sorted.map { "eq(n\\,\($0))" }.joined(separator: "+")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("frames-\(UUID().uuidString).rgb").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try ProcessRunner.run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", path, "-vf", "select='\(select)'",
                                                               "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", output])
        guard result.status == 0 else { throw ProcessRunner.Failure(message: "ffmpeg could not decode \(path): \(result.stderr)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        let size = width * height * 3
        guard data.count == size * sorted.count else {
            throw ProcessRunner.Failure(message: "expected \(sorted.count) frames of \(size) bytes from \(path), got \(data.count) bytes")
        }
        var pictures: [Int: DecodedPicture] = [:]
        for (n, index) in sorted.enumerated() {
            pictures[index] = DecodedPicture(width: width, height: height, rgb: [UInt8](data[(n * size)..<((n + 1) * size)]))
        }
        return pictures
    }
}
