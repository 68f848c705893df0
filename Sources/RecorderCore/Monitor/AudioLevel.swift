import Foundation

/// The level of one source over a window: its peak and its RMS in dBFS (0 dBFS is a full-scale sample;
/// digital silence reads ``floor``).
public struct AudioLevel: Codable, Equatable, Sendable {
    public var peakDbfs: Double
    public var rmsDbfs: Double

    /// What silence reads: -120 dBFS (below any microphone's noise, and a finite number for JSON and Prometheus).
    public static let floor = -120.0

    public init(peakDbfs: Double, rmsDbfs: Double) {
        self.peakDbfs = peakDbfs
        self.rmsDbfs = rmsDbfs
    }

    /// The level of samples whose largest magnitude is `peak` and whose squares sum to `sumOfSquares` over `count`.
    public init(peak: Double, sumOfSquares: Double, count: Int) {
        peakDbfs = Self.dbfs(amplitude: peak)
        rmsDbfs = count > 0 ? Self.dbfs(amplitude: (sumOfSquares / Double(count)).squareRoot()) : Self.floor
    }

    /// 20·log10 of an amplitude (1 = full scale), never below ``floor``, rounded to a tenth of a decibel.
    public static func dbfs(amplitude: Double) -> Double {
        guard amplitude > 0 else { return floor }
        return max(floor, (20 * log10(amplitude) * 10).rounded() / 10)
    }
}

/// Sums samples into windows of a fixed length (100 ms at 48 kHz by default) and hands out each window's level
/// as it completes: the meters' and the alarms' unit of time.
public struct LevelWindow: Sendable {
    public let samplesPerWindow: Int
    private var peak = 0.0
    private var sumOfSquares = 0.0
    private var count = 0

    /// - Parameter samplesPerWindow: samples of one channel per window (4800: 100 ms at 48 kHz).
    public init(samplesPerWindow: Int = 4800) { self.samplesPerWindow = samplesPerWindow }

    /// Adds a block measured elsewhere (its peak, sum of squares, and samples per channel with `channels`); returns
    /// the level of each window it completed.
    public mutating func add(peak: Double, sumOfSquares: Double, samples: Int, channels: Int) -> AudioLevel? {
        self.peak = max(self.peak, peak)
        self.sumOfSquares += sumOfSquares
        count += samples * max(1, channels)
        guard count >= samplesPerWindow * max(1, channels) else { return nil }
        let level = AudioLevel(peak: self.peak, sumOfSquares: self.sumOfSquares, count: count)
        self = LevelWindow(samplesPerWindow: samplesPerWindow)
        return level
    }
}
