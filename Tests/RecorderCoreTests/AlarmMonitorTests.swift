import Foundation
import RecorderCore
import XCTest

/// The alarms' decisions on a fake clock: silence and clipping from the mix's windows, a frozen or black
/// picture from the camera's, a scheduled start missed; each raised once and cleared when it ends.
final class AlarmMonitorTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_796_565_600)
    private let quiet = AudioLevel(peakDbfs: -75, rmsDbfs: -80)
    private let speech = AudioLevel(peakDbfs: -18, rmsDbfs: -30)

    private func kinds(_ changes: [AlarmMonitor.Change]) -> [String] {
        changes.map { change in
            switch change {
            case .raised(let alarm): "+\(alarm.kind.rawValue)"
            case .cleared(let alarm): "-\(alarm.kind.rawValue)"
            }
        }
    }

    func testSilenceIsRaisedAfterItsThresholdOnceAndClearedBySound() {
        var monitor = AlarmMonitor()
        var seen: [String] = []
        for tenth in 0...320 { seen += kinds(monitor.mix(quiet, at: t0 + Double(tenth) / 10)) }
        XCTAssertEqual(seen, ["+silence"], "once, at 30 s")
        XCTAssertEqual(monitor.active[.silence]?.since, t0, "since the silence began")
        XCTAssertEqual(kinds(monitor.mix(speech, at: t0 + 33)), ["-silence"])
        XCTAssertTrue(monitor.active.isEmpty)
        // Quiet for less than the threshold, between words: nothing.
        for tenth in 0..<250 { XCTAssertEqual(kinds(monitor.mix(quiet, at: t0 + 40 + Double(tenth) / 10)), []) }
        XCTAssertEqual(kinds(monitor.mix(speech, at: t0 + 66)), [])
    }

    func testClippingNeedsRepeatedPeaksAndEndsFiveSecondsAfterTheLast() {
        var monitor = AlarmMonitor()
        let clipped = AudioLevel(peakDbfs: 0, rmsDbfs: -6)
        XCTAssertEqual(kinds(monitor.mix(clipped, at: t0) + monitor.mix(speech, at: t0 + 0.1)), [], "one peak is not clipping")
        XCTAssertEqual(kinds(monitor.mix(clipped, at: t0 + 0.2) + monitor.mix(clipped, at: t0 + 0.3)), ["+clipping"])
        var later: [String] = []
        for tenth in 4...120 { later += kinds(monitor.mix(speech, at: t0 + Double(tenth) / 10)) }
        XCTAssertEqual(later, ["-clipping"])
        XCTAssertEqual(kinds(monitor.recordingEnded()), [])
    }

    func testAFrozenAndABlackPictureAndTheCameraStopping() {
        var settings = MonitorSettings()
        settings.frozenSeconds = 10
        settings.blackSeconds = 5
        var monitor = AlarmMonitor(settings: settings)
        var seen: [String] = []
        for half in 0...24 { seen += kinds(monitor.picture(signature: 42, meanLuma: 8, at: t0 + Double(half) / 2)) }
        XCTAssertEqual(seen, ["+black_picture", "+frozen_picture"], "black after 5 s, frozen after 10 s")
        XCTAssertEqual(kinds(monitor.picture(signature: 43, meanLuma: 120, at: t0 + 13)), ["-frozen_picture", "-black_picture"])
        XCTAssertEqual(kinds(monitor.picture(signature: 44, meanLuma: 120, at: t0 + 14)), [], "a moving picture")
        for half in 0...21 { _ = monitor.picture(signature: 45, meanLuma: 120, at: t0 + 15 + Double(half) / 2) }
        XCTAssertEqual(kinds(monitor.cameraStopped()), ["-frozen_picture"])
    }

    func testAScheduledStartMissedBy30SecondsUntilTheRecordingRuns() {
        var monitor = AlarmMonitor()
        XCTAssertEqual(kinds(monitor.schedule(dueSince: t0, title: "Physics", recording: false, at: t0 + 29)), [])
        let raised = monitor.schedule(dueSince: t0, title: "Physics", recording: false, at: t0 + 30)
        XCTAssertEqual(kinds(raised), ["+missed_start"])
        if case .raised(let alarm)? = raised.first { XCTAssertTrue(alarm.message.contains("Physics"), alarm.message) }
        XCTAssertEqual(kinds(monitor.schedule(dueSince: t0, title: "Physics", recording: false, at: t0 + 31)), [])
        XCTAssertEqual(kinds(monitor.schedule(dueSince: t0, title: "Physics", recording: true, at: t0 + 40)), ["-missed_start"])
        XCTAssertEqual(kinds(monitor.schedule(dueSince: nil, title: nil, recording: false, at: t0 + 50)), [])
    }

    func testLevelsOfKnownSignals() {
        XCTAssertEqual(AudioLevel.dbfs(amplitude: 1), 0)
        XCTAssertEqual(AudioLevel.dbfs(amplitude: 0.1), -20)
        XCTAssertEqual(AudioLevel.dbfs(amplitude: 0), AudioLevel.floor)
        // A full-scale sine: peak 0 dBFS, RMS -3 dBFS, over 100 ms windows of 48 kHz stereo.
        var window = LevelWindow()
        var levels: [AudioLevel] = []
        for block in 0..<10 {
            var peak = 0.0, sum = 0.0
            for n in 0..<960 {
                let sample = sin(2 * .pi * 1000 * Double(block * 960 + n) / 48_000)
                peak = max(peak, abs(sample))
                sum += 2 * sample * sample
            }
            if let level = window.add(peak: peak, sumOfSquares: sum, samples: 960, channels: 2) { levels.append(level) }
        }
        XCTAssertEqual(levels, [AudioLevel(peakDbfs: 0, rmsDbfs: -3), AudioLevel(peakDbfs: 0, rmsDbfs: -3)])
    }
}
