/// Keeps a sound card's samples on the pipeline's monotonic clock.
///
/// A sound card's crystal runs a few ppm off the computer's clock: counted by its samples, an hour of audio is
/// an hour plus or minus tens of milliseconds, and over 24 hours the sound drifts seconds away from the picture.
/// The aligner compares how much audio has gone out with how much the monotonic clock says should have (from the
/// capture timestamps of the card's periods) and asks the resampler to stretch or squeeze the next period by a
/// few samples. Samples are never dropped or repeated, and the correction is at most `maxCorrection` of the
/// signal (±0.1 % by default, far under what an ear hears as pitch).
///
/// Timestamps of periods jitter by a millisecond or so; the correction takes a small fraction of the error
/// each period (a proportional controller), so jitter averages out while a steady drift is followed with an
/// error of a fraction of a millisecond. Pure: tests drive it with instants of their own.
public struct AudioClockAligner: Sendable {
    /// Samples per second the card is set to (and the output has).
    public let sampleRate: Int
    /// The largest correction, as a fraction of the samples in a period.
    public let maxCorrection: Double
    /// The fraction of the error corrected per period.
    public let gain: Double
    private var origin: MonotonicInstant?
    /// Samples that have gone out since the first period, with the corrections applied.
    public private(set) var samplesOut: Int64 = 0

    public init(sampleRate: Int = 48_000, maxCorrection: Double = 0.001, gain: Double = 0.02) {
        self.sampleRate = sampleRate
        self.maxCorrection = maxCorrection
        self.gain = gain
    }

    /// Output samples minus what the clock says should have gone out by `instant` (positive: audio runs ahead).
    public func error(at instant: MonotonicInstant) -> Double {
        guard let origin else { return 0 }
        return Double(samplesOut) - instant.seconds(since: origin) * Double(sampleRate)
    }

    /// A period that is `samples` long at the output rate, captured starting at `capturedAt`: returns how many
    /// samples it should become (the resampler stretches or squeezes it to that), and counts them as gone out.
    public mutating func samplesOut(forPeriodOf samples: Int, capturedAt: MonotonicInstant) -> Int {
        if origin == nil { origin = capturedAt }
        let behind = -error(at: capturedAt)
        let limit = max(1, Double(samples) * maxCorrection)
        let correction = min(limit, max(-limit, behind * gain)).rounded()
        let out = samples + Int(correction)
        samplesOut += Int64(out)
        return out
    }
}
