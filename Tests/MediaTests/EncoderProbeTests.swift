import Foundation
import Media
import RecorderCore
import XCTest

/// The probe on this machine's real FFmpeg: in CI only libx264 exists, and the hardware encoders must fail
/// with FFmpeg's own reason rather than crash or hang.
final class EncoderProbeTests: XCTestCase {
    func testEveryCandidateEitherEncodesOrSaysWhyNot() throws {
        let candidates = EncoderProbe.candidates()
        XCTAssertEqual(candidates.last, .init(.x264))
        XCTAssertTrue(candidates.contains(.init(.nvenc)) && candidates.contains(.init(.qsv)))
        let probes = candidates.map { EncoderProbe.probe($0, settings: VideoEncoderSettings()) }
        for probe in probes {
            print("encoder probe: \(probe.candidate): \(probe.failure ?? "works")")
            if let failure = probe.failure { XCTAssertFalse(failure.isEmpty) }
        }
        XCTAssertNil(probes.last?.failure, "libx264 works everywhere")
        let selection = try XCTUnwrap(EncoderSelection(probes: probes, policy: .hardwareFirst))
        if probes.allSatisfy({ $0.candidate.kind == .x264 || $0.failure != nil }) {
            XCTAssertEqual(selection.chosen, .init(.x264))
        }
        print("chosen: \(selection.chosen) — \(selection.reason)")
    }

    func testCalibrationMeasuresPresetsFastestFirstAndStopsAtTheFirstTooSlow() throws {
        let measured = try X264Calibrator.measure(settings: VideoEncoderSettings(), seconds: 0.5)
        print("libx264 1080p frames per second: \(measured)")
        XCTAssertNotNil(measured["ultrafast"])
        let tried = X264Calibration.presets.filter { measured[$0] != nil }
        XCTAssertEqual(tried, Array(X264Calibration.presets.prefix(tried.count)), "fastest first, no gaps")
        // Every preset but the last tried reached 45 fps; the last either did not or was the slowest there is.
        for preset in tried.dropLast() { XCTAssertGreaterThanOrEqual(measured[preset]!, 45) }
        if tried.count < X264Calibration.presets.count { XCTAssertLessThan(measured[tried.last!]!, 45) }
        XCTAssertTrue(X264Calibration.presets.contains(X264Calibration.choose(measured: measured)))
    }
}
