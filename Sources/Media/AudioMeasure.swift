import CFFmpeg
import RecorderCore

/// The peak and the sum of squares of an audio frame's samples, over all its channels, in whichever of the
/// formats the room's sources give (16- or 32-bit integers, float, interleaved or planar): what a level meter
/// needs, read where the samples pass anyway.
public enum AudioMeasure {
    public struct Block: Sendable {
        public var peak: Double
        public var sumOfSquares: Double
        /// Samples per channel.
        public var samples: Int
        public var channels: Int
        public var sampleRate: Int
    }

    public static func measure(_ frame: MediaFrame) -> Block {
        let raw = frame.pointer.pointee
        let channels = Int(raw.ch_layout.nb_channels)
        let samples = Int(raw.nb_samples)
        var peak: Float = 0
        var sum: Double = 0
        func scan<T>(_ plane: Int, count: Int, as type: T.Type, scale: Float, _ value: (T) -> Float) {
            guard let base = raw.extended_data[plane] else { return }
            base.withMemoryRebound(to: T.self, capacity: count) { pointer in
                for index in 0..<count {
                    let sample = value(pointer[index]) * scale
                    let magnitude = abs(sample)
                    if magnitude > peak { peak = magnitude }
                    sum += Double(sample * sample)
                }
            }
        }
        switch AVSampleFormat(raw.format) {
        case AV_SAMPLE_FMT_S16: scan(0, count: samples * channels, as: Int16.self, scale: 1 / 32768) { Float($0) }
        case AV_SAMPLE_FMT_S16P: for c in 0..<channels { scan(c, count: samples, as: Int16.self, scale: 1 / 32768) { Float($0) } }
        case AV_SAMPLE_FMT_S32: scan(0, count: samples * channels, as: Int32.self, scale: 1 / 2_147_483_648) { Float($0) }
        case AV_SAMPLE_FMT_S32P: for c in 0..<channels { scan(c, count: samples, as: Int32.self, scale: 1 / 2_147_483_648) { Float($0) } }
        case AV_SAMPLE_FMT_FLT: scan(0, count: samples * channels, as: Float.self, scale: 1) { $0 }
        case AV_SAMPLE_FMT_FLTP: for c in 0..<channels { scan(c, count: samples, as: Float.self, scale: 1) { $0 } }
        default: break
        }
        return Block(peak: Double(min(peak, 1)), sumOfSquares: sum, samples: samples, channels: channels,
                     sampleRate: raw.sample_rate > 0 ? Int(raw.sample_rate) : 48_000)
    }
}
