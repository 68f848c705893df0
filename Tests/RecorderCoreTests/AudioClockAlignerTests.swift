import RecorderCore
import TestSupport
import XCTest

/// A sound card whose crystal runs off the computer's clock, simulated over a whole 24-hour recording.
final class AudioClockAlignerTests: XCTestCase {
    /// Runs `hours` of 1024-sample periods from a card running `ppm` fast (negative: slow), whose period
    /// timestamps jitter by up to ±1 ms; returns the worst A/V error after the first minute (seconds) and the
    /// largest correction of any one period (samples).
    private func simulate(ppm: Double, hours: Double) -> (worstError: Double, largestStep: Int, corrected: Int64) {
        var aligner = AudioClockAligner(sampleRate: 48_000)
        let origin = MonotonicInstant(nanoseconds: 5_000_000_000)
        let cardRate = 48_000 * (1 + ppm / 1e6)
        var generator = SplitMix(seed: 7)
        var deviceSamples: Int64 = 0
        var worst = 0.0
        var largest = 0
        var corrected: Int64 = 0
        let periods = Int(hours * 3600 * cardRate / 1024)
        for _ in 0..<periods {
            let trueTime = Double(deviceSamples) / cardRate
            let jitter = (generator.nextUnit() - 0.5) * 0.002
            let stamp = origin.advanced(by: trueTime + jitter)
            let out = aligner.samplesOut(forPeriodOf: 1024, capturedAt: stamp)
            largest = max(largest, abs(out - 1024))
            corrected += Int64(out - 1024)
            deviceSamples += 1024
            if trueTime > 60 {
                // What has gone out against the true time at the end of this period.
                let error = Double(aligner.samplesOut) / 48_000 - Double(deviceSamples) / cardRate
                worst = max(worst, abs(error))
            }
        }
        return (worst, largest, corrected)
    }

    func testACardRunningFastStaysWithinOneFrameOver24Hours() {
        let result = simulate(ppm: 80, hours: 24)
        // Uncorrected, 80 ppm is 6.9 s over a day.
        XCTAssertLessThan(result.worstError, 1.0 / 30, "within one video frame")
        XCTAssertLessThan(result.worstError, 0.003, "in practice within a few milliseconds")
        XCTAssertLessThanOrEqual(result.largestStep, 1, "stretched a sample at a time by the resampler, never cut")
        XCTAssertEqual(Double(result.corrected), -80e-6 * 24 * 3600 * 48_000, accuracy: 200, "the drift was taken out")
    }

    func testACardRunningSlowIsStretched() {
        let result = simulate(ppm: -120, hours: 24)
        XCTAssertLessThan(result.worstError, 0.003)
        XCTAssertLessThanOrEqual(result.largestStep, 1)
        XCTAssertGreaterThan(result.corrected, 0)
    }

    func testAnExactCardIsLeftAlone() {
        var aligner = AudioClockAligner()
        let origin = MonotonicInstant(nanoseconds: 1)
        for period in 0..<10_000 {
            let out = aligner.samplesOut(forPeriodOf: 1024, capturedAt: origin.advanced(by: Double(period * 1024) / 48_000))
            XCTAssertEqual(out, 1024)
        }
    }
}
