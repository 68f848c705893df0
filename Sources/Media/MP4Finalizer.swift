import CFFmpeg
import DurableFiles
import Foundation

/// Turns the fragmented MP4 written while recording into a standard MP4 with its index at the front
/// (`faststart`), copying the encoded streams without re-encoding. The output is written to a temporary name,
/// fsync'd and renamed into place, so a crash during finalizing leaves the fragmented file untouched.
public enum MP4Finalizer {
    /// What a finalized file holds.
    public struct Result: Equatable, Sendable {
        /// Seconds from the first to the end of the last sample of the longest stream.
        public var duration: Double
        public var size: Int64

        public init(duration: Double, size: Int64) {
            self.duration = duration
            self.size = size
        }
    }

    public static func finalize(fragmented source: String, to destination: String) throws -> Result {
        let temporary = destination + ".finalizing"
        let duration: Double
        do {
            duration = try remux(source, to: temporary)
            try FileSync.fsyncFile(at: temporary)
            try FileSync.rename(temporary, to: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        return Result(duration: duration, size: try FileSync.size(of: destination))
    }

    /// The duration of a finished media file, in seconds.
    public static func duration(of path: String) throws -> Double {
        try InputContainer(path: path).durationSeconds
    }

    /// Copies every packet of `source` into a faststart MP4 at `destination`; returns the media duration.
    static func remux(_ source: String, to destination: String) throws(FFmpegError) -> Double {
        let input = try InputContainer(path: source)
        let output = try OutputContainer(path: destination, format: "mp4")
        var inputTimeBases: [AVRational] = []
        for index in 0..<input.streamCount {
            inputTimeBases.append(input.timeBase(ofStream: index))
            _ = try output.addStream(parameters: input.parameters(ofStream: index), timeBase: input.timeBase(ofStream: index))
        }
        try output.writeHeader(options: ["movflags": "+faststart"])
        let packet = try MediaPacket()
        var firstSeconds = Array(repeating: Double.infinity, count: input.streamCount)
        var endSeconds = Array(repeating: 0.0, count: input.streamCount)
        while try input.read(into: packet) {
            // The torn last fragment of a file cut off by a crash is flagged corrupt: leave it out.
            if packet.pointer.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
                packet.unref()
                continue
            }
            let index = Int(packet.pointer.pointee.stream_index)
            let tb = inputTimeBases[index]
            let pts = packet.pointer.pointee.pts
            if pts != rr_nopts_value() {
                let start = Double(pts) * Double(tb.num) / Double(tb.den)
                let end = Double(pts + packet.pointer.pointee.duration) * Double(tb.num) / Double(tb.den)
                firstSeconds[index] = min(firstSeconds[index], start)
                endSeconds[index] = max(endSeconds[index], end)
            }
            try output.write(packet, stream: Int32(index), from: tb)
            packet.unref()
        }
        try output.finish()
        return zip(firstSeconds, endSeconds).map { $0.0.isFinite ? $0.1 - $0.0 : 0 }.max() ?? 0
    }
}
