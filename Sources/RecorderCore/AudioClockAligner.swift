/// Keeps a sound card's samples on the pipeline's monotonic clock.
///
/// A sound card's crystal runs a few ppm off the computer's clock: counted by its samples, an hour of audio is
/// an hour plus or minus tens of milliseconds, and over 24 hours the sound drifts seconds away from the picture.
/// The aligner compares how much audio has gone out with how much the monotonic clock says should have (from the
/// capture timestamps of the card's periods) and asks the resampler to stretch or squeeze the next period by a
/// few samples. Samples are never dropped or repeated, and the correction is at most `maxCorrection` of the
/// signal (±0.1 % by default, far under what an ear hears as pitch).
///
/// Only drift is corrected, never a constant offset: the error over the first `settlingPeriods` periods (the
/// device's latency, how late its reads are woken) is the baseline the later error is measured from; the audio
/// is placed on the timeline by its capture instants anyway. Timestamps of periods jitter by a millisecond or
/// so; the error is smoothed over about a second and a small fraction of it corrected per period, the fractions
/// carried until they make a whole sample, so jitter averages out (the audio's rate never wobbles) while a
/// steady drift is followed with an error of a fraction of a millisecond. Pure: tests drive it with instants of
/// their own.
public struct AudioClockAligner: Sendable {
    /// Samples per second the card is set to (and the output has).
    public let sampleRate: Int
    /// The largest correction, as a fraction of the samples in a period.
    public let maxCorrection: Double
    /// The fraction of the (smoothed) error corrected per period.
    public let gain: Double
    /// The weight of each period's error in the smoothed error.
    public let smoothing: Double
    /// Periods over which the baseline error is measured before anything is corrected.
    public let settlingPeriods: Int
    private var origin: MonotonicInstant?
    private var periods = 0
    private var baseline = 0.0
    private var smoothedError = 0.0
    /// Corrections smaller than a sample, carried to the next period.
    private var carried = 0.0
    /// Samples that have gone out since the first period, with the corrections applied.
    public private(set) var samplesOut: Int64 = 0

    public init(sampleRate: Int = 48_000, maxCorrection: Double = 0.001, gain: Double = 0.05, smoothing: Double = 0.02, settlingPeriods: Int = 100) {
        self.settlingPeriods = settlingPeriods
        self.sampleRate = sampleRate
        self.maxCorrection = maxCorrection
        self.gain = gain
        self.smoothing = smoothing
    }

    /// Output samples minus what the clock says should have gone out by `instant`, less the baseline (positive:
    /// audio runs ahead).
    public func error(at instant: MonotonicInstant) -> Double {
        guard let origin else { return 0 }
        return Double(samplesOut) - instant.seconds(since: origin) * Double(sampleRate) - baseline
    }

    /// A period that is `samples` long at the output rate, captured starting at `capturedAt`: returns how many
    /// samples it should become (the resampler stretches or squeezes it to that), and counts them as gone out.
    public mutating func samplesOut(forPeriodOf samples: Int, capturedAt: MonotonicInstant) -> Int {
        if origin == nil { origin = capturedAt }
        periods += 1
        guard periods > settlingPeriods else {
            // Settling: the average error so far is the baseline; nothing is corrected yet.
            baseline += error(at: capturedAt) / Double(periods)
            samplesOut += Int64(samples)
            return samples
        }
        smoothedError += smoothing * (error(at: capturedAt) - smoothedError)
        let limit = Double(samples) * maxCorrection
        carried += min(limit, max(-limit, -smoothedError * gain))
        let correction = carried.rounded(.towardZero)
        carried -= correction
        let out = samples + Int(correction)
        samplesOut += Int64(out)
        return out
    }
}
