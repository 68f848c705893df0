import ControlClient
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// `roomrecd` with real capture devices configured: an ALSA capture PCM (ALSA's `file` plugin plays a known
/// signal into the capture stream; there is no sound card on the build machines), and a camera that is missing.
final class CaptureEndToEndTests: XCTestCase {
    private var daemon: DaemonProcess?

    override func tearDown() async throws {
        try await daemon?.stop(signal: SIGKILL)
        daemon = nil
    }

    /// A 4-second sweep from 300 Hz to 3 kHz at `rate`, amplitude 0.5: its autocorrelation has one sharp peak.
    private func sweep(rate: Double) -> [Float] {
        (0..<Int(4 * rate)).map { n in
            let t = Double(n) / rate
            return Float(0.5 * sin(2 * .pi * (300 * t + (3000 - 300) / (2 * 4) * t * t)))
        }
    }

    func testTheRecordingsSoundIsWhatTheALSADeviceCaptured() async throws {
        let files = try TemporaryDirectory(prefix: "alsa")
        // The sweep, then silence: what the "microphone" hears.
        let pcm = try ALSAFilePCM(samples: sweep(rate: 48_000).map(Double.init) + [Double](repeating: 0, count: 4 * 48_000), in: files.path)
        let daemon = try DaemonProcess(sections: "[capture]\nmicrophone = \"\(pcm.name)\"")
        self.daemon = daemon
        try await daemon.start(environment: pcm.environment)
        let recording = try await daemon.client.send("POST", "/v1/recordings").decode(Recording.self)
        try await Task.sleep(for: .seconds(6))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        let job = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        XCTAssertTrue(daemon.log().contains("microphone roomtest: 48000 Hz, 2 channels"), daemon.log())

        // The recording's sound against the sweep: the lag found at 8 kHz, then refined at 48 kHz (a sweep up to
        // 3 kHz decorrelates if it is off by a fraction of a sample at 8 kHz), and the normalised correlation there.
        let delivered = try XCTUnwrap(job.remoteId)
        func decode(rate: Int) throws -> [Float] {
            try ProcessRunner.runData("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", delivered, "-vn", "-ac", "1", "-ar", "\(rate)", "-f", "s16le", "-"])
                .withUnsafeBytes { Array($0.bindMemory(to: Int16.self)).map { Float($0) / 32_768 } }
        }
        func correlate(_ recorded: [Float], _ reference: [Float], lags: Range<Int>) -> (lag: Int, correlation: Float) {
            var best = (lag: lags.lowerBound, correlation: Float(-1))
            let referenceEnergy = reference.reduce(0) { $0 + $1 * $1 }
            recorded.withUnsafeBufferPointer { x in
                reference.withUnsafeBufferPointer { y in
                    for lag in lags where lag >= 0 && lag + y.count <= x.count {
                        var dot: Float = 0, energy: Float = 0
                        for i in 0..<y.count {
                            dot += x[lag + i] * y[i]
                            energy += x[lag + i] * x[lag + i]
                        }
                        let correlation = dot / max(1e-9, (energy * referenceEnergy).squareRoot())
                        if correlation > best.correlation { best = (lag, correlation) }
                    }
                }
            }
            return best
        }
        let coarse = correlate(try decode(rate: 8000), sweep(rate: 8000), lags: 0..<4000)
        let best = correlate(try decode(rate: 48_000), sweep(rate: 48_000), lags: (coarse.lag * 6 - 12)..<(coarse.lag * 6 + 13))
        let offset = Double(best.lag) / 48_000
        print("microphone: correlation \(best.correlation) at \(String(format: "%.1f", offset * 1000)) ms after the recording's start")
        XCTAssertGreaterThan(best.correlation, 0.95, "the recorded sound is the captured signal")
        XCTAssertLessThan(offset, 0.3, "the microphone starts with the recording")
    }

    func testAMissingCameraStillRecordsTheSlateAndSaysWhatToFix() async throws {
        let daemon = try DaemonProcess(sections: "[capture]\ncamera = \"/dev/v4l/by-id/usb-missing-camera-video-index0\"")
        self.daemon = daemon
        try await daemon.start()
        let recording = try await daemon.client.send("POST", "/v1/recordings").decode(Recording.self)
        try await Task.sleep(for: .seconds(4))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        let job = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        let log = daemon.log()
        XCTAssertTrue(log.contains("camera /dev/v4l/by-id/usb-missing-camera-video-index0: its formats cannot be read"), log)
        XCTAssertTrue(log.contains("`roomrecctl devices` lists the cameras"), "the fix is named")
        let finished = try await daemon.client.send("GET", "/v1/recordings/\(recording.recordingId)").decode(Recording.self)
        XCTAssertEqual(finished.status, .complete, "a missing camera does not end the recording")
        // The stage shows the slate where the camera would be.
        let picture = try XCTUnwrap(DecodedPicture.frames([60], of: try XCTUnwrap(job.remoteId))[60])
        XCTAssertTrue(picture.matches(960, 540, (93, 93, 93), tolerance: 12), "\(picture.pixel(960, 540))")
    }

    func testTheHardwareCheckRecordsFromTheConfiguredDevicesAndReports() async throws {
        let files = try TemporaryDirectory(prefix: "hwcheck")
        // A microphone that plays a steady tone (ALSA's file plugin), the synthetic camera.
        let pcm = try ALSAFilePCM(samples: (0..<(6 * 48_000)).map { 0.25 * sin(2 * .pi * 440 * Double($0) / 48_000) }, in: files.path)
        try "[capture]\ncamera = \"synthetic\"\nmicrophone = \"roomtest\"\n".write(toFile: "\(files.path)/roomrec.toml", atomically: true, encoding: .utf8)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/hardware-check").standardized.path
        let result = try ProcessRunner.run("/usr/bin/python3", [script, "\(files.path)/roomrec.toml", "3"], environment: ProcessInfo.processInfo.environment.merging([
            "ROOMREC_BIN_DIR": DaemonProcess.binDirectory, "ALSA_CONFIG_PATH": pcm.configPath,
        ]) { $1 })
        print(result.stdout)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("microphone roomtest: 48000 Hz, 2 channels"), result.stdout)
        XCTAssertTrue(result.stdout.contains("1920x1080 H264 High"), result.stdout)
        XCTAssertTrue(result.stdout.contains("0 dropped"), result.stdout)
        XCTAssertTrue(result.stdout.contains("verdict: OK"), result.stdout)
        if let scratch = result.stdout.split(separator: "\n").last(where: { $0.hasPrefix("the recording and the daemon's log are in ") }) {
            try? FileManager.default.removeItem(atPath: String(scratch.dropFirst("the recording and the daemon's log are in ".count)))
        }
    }
}
