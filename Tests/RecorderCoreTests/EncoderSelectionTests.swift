import RecorderCore
import XCTest

/// The encoder choice on every kind of room computer, from probe results such as each would give.
final class EncoderSelectionTests: XCTestCase {
    private typealias Probe = EncoderSelection.Probe
    private let noCUDA = "avcodec_open2(h264_nvenc) failed: Cannot load libcuda.so.1"
    private let noQSV = "av_hwdevice_ctx_create failed: Error creating a MFX session"

    func testASmallIntelBoxUsesQuickSyncThenVAAPIThenTheCPU() throws {
        let probes = [Probe(.init(.nvenc), failure: noCUDA), Probe(.init(.qsv)), Probe(.init(.vaapi, device: "/dev/dri/renderD128")), Probe(.init(.x264))]
        let selection = try XCTUnwrap(EncoderSelection(probes: probes, policy: .hardwareFirst))
        XCTAssertEqual(selection.chosen, .init(.qsv))
        XCTAssertEqual(selection.fallbacks, [.init(.vaapi, device: "/dev/dri/renderD128"), .init(.x264)])
        XCTAssertTrue(selection.reason.contains("hardware"), selection.reason)
        XCTAssertTrue(selection.reason.contains("h264_nvenc did not work (\(noCUDA))"), selection.reason)
    }

    func testARaspberryPiUsesItsV4L2MemoryToMemoryEncoder() throws {
        let probes = [Probe(.init(.nvenc), failure: noCUDA), Probe(.init(.qsv), failure: noQSV), Probe(.init(.v4l2m2m)), Probe(.init(.x264))]
        let selection = try XCTUnwrap(EncoderSelection(probes: probes, policy: .hardwareFirst))
        XCTAssertEqual(selection.chosen, .init(.v4l2m2m))
        XCTAssertEqual(selection.fallbacks, [.init(.x264)])
    }

    func testAPCWithAnNVIDIACardUsesNVENC() throws {
        let probes = [Probe(.init(.nvenc)), Probe(.init(.qsv), failure: noQSV),
                      Probe(.init(.vaapi, device: "/dev/dri/renderD128"), failure: "av_hwdevice_ctx_create failed: Input/output error"), Probe(.init(.x264))]
        let selection = try XCTUnwrap(EncoderSelection(probes: probes, policy: .hardwareFirst))
        XCTAssertEqual(selection.chosen, .init(.nvenc))
        XCTAssertEqual(selection.fallbacks, [.init(.x264)], "the failed VA-API node is no fallback")
    }

    func testAPlainCPUUsesLibx264AndSaysWhy() throws {
        let probes = [Probe(.init(.nvenc), failure: noCUDA), Probe(.init(.qsv), failure: noQSV), Probe(.init(.x264))]
        let selection = try XCTUnwrap(EncoderSelection(probes: probes, policy: .hardwareFirst))
        XCTAssertEqual(selection.chosen, .init(.x264))
        XCTAssertEqual(selection.fallbacks, [])
        XCTAssertTrue(selection.reason.hasPrefix("no hardware encoder works here, so the CPU encodes"), selection.reason)
    }

    func testAHardwareEncoderFailingWhileRecordingHandsOverToTheNext() throws {
        let probes = [Probe(.init(.vaapi, device: "/dev/dri/renderD128")), Probe(.init(.vaapi, device: "/dev/dri/renderD129")), Probe(.init(.x264))]
        let selection = try XCTUnwrap(EncoderSelection(probes: probes, policy: .hardwareFirst))
        let second = try XCTUnwrap(selection.failingOver(because: "avcodec_send_frame failed: Input/output error"))
        XCTAssertEqual(second.chosen, .init(.vaapi, device: "/dev/dri/renderD129"))
        XCTAssertEqual(second.reason, "h264_vaapi (/dev/dri/renderD128) failed while recording (avcodec_send_frame failed: Input/output error)")
        let third = try XCTUnwrap(second.failingOver(because: "again"))
        XCTAssertEqual(third.chosen, .init(.x264))
        XCTAssertNil(third.failingOver(because: "libx264 too"), "nothing left")
    }

    func testPoliciesFromTheConfiguration() throws {
        let probes = [Probe(.init(.qsv)), Probe(.init(.vaapi, device: "/dev/dri/renderD128")), Probe(.init(.x264))]
        XCTAssertEqual(EncoderSelection(probes: probes, policy: .softwareOnly)?.chosen, .init(.x264))
        XCTAssertEqual(EncoderSelection(probes: probes, policy: .only([.vaapi, .x264]))?.chosen, .init(.vaapi, device: "/dev/dri/renderD128"))
        XCTAssertNil(EncoderSelection(probes: probes, policy: .only([.nvenc])), "nothing allowed works")
        XCTAssertNil(EncoderSelection(probes: [Probe(.init(.x264), failure: "no libx264")], policy: .hardwareFirst))
    }

    func testLibx264TakesTheSlowestPresetThatStillRunsAtOneAndAHalfTimesRealTime() {
        XCTAssertEqual(X264Calibration.choose(measured: ["ultrafast": 96, "superfast": 61.5, "veryfast": 38]), "superfast")
        XCTAssertEqual(X264Calibration.choose(measured: ["ultrafast": 200, "superfast": 150, "veryfast": 110, "faster": 90, "fast": 70, "medium": 46]), "medium")
        XCTAssertEqual(X264Calibration.choose(measured: ["ultrafast": 30]), "ultrafast", "the fastest when none is fast enough")
        XCTAssertEqual(X264Calibration.choose(measured: ["ultrafast": 44.9]), "ultrafast")
        XCTAssertEqual(X264Calibration.faster(than: "veryfast"), "superfast")
        XCTAssertNil(X264Calibration.faster(than: "ultrafast"))
    }

    func testAnOnlineSessionLeavesItsCoresToTheSessionAndTakesAFasterPreset() {
        let janus = X264Calibration.sessionCores(publishing: true, receiving: true)
        let whip = X264Calibration.sessionCores(publishing: true, receiving: false)
        XCTAssertEqual(X264Calibration.sessionCores(publishing: false, receiving: false), 0)
        XCTAssertEqual(X264Calibration.requiredSpeed(cores: 2, sessionCores: 0), 1.5, "alone, as before")
        XCTAssertEqual(X264Calibration.requiredSpeed(cores: 2, sessionCores: janus), 2.07, accuracy: 0.01)
        XCTAssertEqual(X264Calibration.requiredSpeed(cores: 2, sessionCores: whip), 1.71, accuracy: 0.01)
        XCTAssertEqual(X264Calibration.requiredSpeed(cores: 8, sessionCores: janus), 1.61, accuracy: 0.01, "many cores hardly notice")
        XCTAssertEqual(X264Calibration.requiredSpeed(cores: 1, sessionCores: 5), 6, "never more than four times the speed alone")
        // A calibration on two cores: alone "faster"; publishing, or on a Janus stage, a preset faster.
        let measured = ["ultrafast": 139.5, "superfast": 84.2, "veryfast": 70.1, "faster": 48.3]
        XCTAssertEqual(X264Calibration.choose(measured: measured), "faster")
        XCTAssertEqual(X264Calibration.choose(measured: measured, requiredSpeed: X264Calibration.requiredSpeed(cores: 2, sessionCores: whip)), "veryfast")
        XCTAssertEqual(X264Calibration.choose(measured: measured, requiredSpeed: X264Calibration.requiredSpeed(cores: 2, sessionCores: janus)), "veryfast")
    }
}
