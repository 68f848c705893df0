import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// What a person checks before and during a class, against the running daemon: the level of a known tone from a
/// real ALSA capture (the file plugin), the silence alarm when that microphone goes quiet and its end when sound
/// returns, and a preview whose JPEG decodes to the synthetic stage's picture.
final class MonitorEndToEndTests: XCTestCase {
    func testAToneReadsItsLevelAndAMutedMicrophoneRaisesTheSilenceAlarmUntilSoundReturns() async throws {
        let files = try TemporaryDirectory(prefix: "rrmon")
        // 4 s of a 1 kHz tone at -12 dBFS, 7 s of nothing (a muted microphone), then the tone again.
        let amplitude = pow(10, -12.0 / 20)
        let tone = { (seconds: Int) in (0..<(seconds * 48_000)).map { amplitude * sin(2 * .pi * 1000 * Double($0) / 48_000) } }
        let pcm = try ALSAFilePCM(samples: tone(4) + [Double](repeating: 0, count: 7 * 48_000) + tone(8), in: files.path)
        let daemon = try DaemonProcess(sections: """
            [capture]
            microphone = "\(pcm.name)"
            [monitor]
            silence_seconds = 2
            """)
        try await daemon.start(environment: pcm.environment)
        let recording = try await daemon.client.send("POST", "/v1/recordings").decode(Recording.self)

        // The tone: within 0.5 dB of -12 dBFS peak (and 3 dB lower RMS, a sine's).
        var levels: [SourceLevel] = []
        // Until both have measured the tone: a first window of the mix may come before the microphone's samples.
        let measured = { (levels: [SourceLevel], source: String) in levels.contains { $0.source == source && $0.peakDbfs > -60 } }
        for _ in 0..<50 where !measured(levels, "microphone") || !measured(levels, "mix") {
            try await Task.sleep(for: .milliseconds(100))
            levels = try await daemon.client.send("GET", "/v1/levels").decode(LevelsReport.self).levels
        }
        let microphone = try XCTUnwrap(levels.first { $0.source == "microphone" }, "\(levels); \(daemon.log())")
        XCTAssertEqual(microphone.peakDbfs, -12, accuracy: 0.5, "\(microphone)")
        XCTAssertEqual(microphone.rmsDbfs, -15, accuracy: 0.5, "\(microphone)")
        let mix = try XCTUnwrap(levels.first { $0.source == "mix" })
        XCTAssertEqual(mix.peakDbfs, -12, accuracy: 0.5, "the mix is the microphone alone: \(mix)")

        // roomrecctl monitor, one frame as IT sees it over SSH (plain text: not a terminal here).
        let frame = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["monitor", "--once", "--socket", daemon.socketPath])
        XCTAssertEqual(frame.status, 0, frame.stderr)
        print(frame.stdout)
        XCTAssertTrue(frame.stdout.contains("● REC"), frame.stdout)
        XCTAssertTrue(frame.stdout.split(separator: "\n").contains { $0.hasPrefix("Mix") && $0.contains("█") && $0.contains("dBFS peak") }, frame.stdout)
        XCTAssertTrue(frame.stdout.contains("Room microphone"), frame.stdout)
        XCTAssertTrue(frame.stdout.contains("Alarms   none"), frame.stdout)
        XCTAssertFalse(frame.stdout.contains("\u{1B}["), "no terminal codes when the output is not a terminal")

        // Quiet from about 4 s on: the alarm within the threshold (2 s here) and a second.
        var raisedAt: Date?
        var health: HealthReport?
        for _ in 0..<120 where raisedAt == nil {
            try await Task.sleep(for: .milliseconds(100))
            let status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
            if status.alarms?.contains(where: { $0.kind == .silence }) == true {
                raisedAt = Date()
                health = try await daemon.client.send("GET", "/v1/health").decode(HealthReport.self)
            }
        }
        let raised = try XCTUnwrap(raisedAt, "no silence alarm; \(daemon.log())")
        let quietFrom = recording.startDate.addingTimeInterval(4)
        XCTAssertLessThan(raised.timeIntervalSince(quietFrom), 4.5, "raised 2 s into the silence (and the poll's 100 ms, and the capture's start)")
        XCTAssertEqual(health?.status, "degraded")
        XCTAssertNotNil(health?.warnings?["silence"])
        let metrics = String(decoding: try await daemon.client.send("GET", "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains(#"roomrec_alarm_active{alarm="silence"} 1"#), metrics)
        XCTAssertTrue(daemon.log().contains("alarm: the recording has been silent"), daemon.log())

        // Sound returns at about 11 s: the alarm ends.
        var cleared = false
        for _ in 0..<100 where !cleared {
            try await Task.sleep(for: .milliseconds(100))
            cleared = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self).alarms?.isEmpty == true
        }
        XCTAssertTrue(cleared, daemon.log())
        let healthAfter = try await daemon.client.send("GET", "/v1/health").decode(HealthReport.self)
        XCTAssertEqual(healthAfter.status, "ok")
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        _ = try await daemon.stop()
    }

    func testAPreviewOfTheIdleRoomDecodesToTheSyntheticStage() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let folder = try TemporaryDirectory(prefix: "rrprev")
        // The synthetic stage is FFmpeg's testsrc2 (a white flash every 30th frame): its still parts are where two
        // of its frames agree.
        let reference = try ProcessRunner.run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
                                                                   "-frames:v", "60", "-c:v", "ffv1", "\(folder.path)/reference.mkv"])
        XCTAssertEqual(reference.status, 0, reference.stderr)
        let frames = try DecodedPicture.frames([5, 47], of: "\(folder.path)/reference.mkv", width: 640, height: 360)
        let (first, second) = (try XCTUnwrap(frames[5]), try XCTUnwrap(frames[47]))
        var still: [(x: Int, y: Int, colour: (r: Int, g: Int, b: Int))] = []
        for y in stride(from: 8, to: 280, by: 16) {
            for x in stride(from: 8, to: 632, by: 16) where first.matches(x, y, second.pixel(x, y), tolerance: 4) {
                still.append((x, y, first.pixel(x, y)))
            }
        }
        XCTAssertGreaterThan(still.count, 200, "testsrc2 has still colour bars")

        var matched = 0.0
        for attempt in 0..<3 where matched < 0.9 {
            // A preview is shared for a second; testsrc2 flashes white once a second: another look a second later.
            if attempt > 0 { try await Task.sleep(for: .milliseconds(1100)) }
            let answer = try await daemon.client.send("GET", "/v1/preview.jpg?source=stage&width=640")
            XCTAssertEqual(answer.status, 200, String(decoding: answer.body.prefix(300), as: UTF8.self))
            XCTAssertEqual(answer.headers.first { $0.0.lowercased() == "content-type" }?.1, "image/jpeg")
            try answer.body.write(to: URL(fileURLWithPath: "\(folder.path)/preview.jpg"))
            let picture = try XCTUnwrap(try DecodedPicture.frames([0], of: "\(folder.path)/preview.jpg", width: 640, height: 360)[0])
            matched = Double(still.filter { picture.matches($0.x, $0.y, $0.colour, tolerance: 40) }.count) / Double(still.count)
        }
        XCTAssertGreaterThan(matched, 0.9, "the preview shows the stage's colours where they stay put")
        let camera = try await daemon.client.send("GET", "/v1/preview.jpg?source=camera&width=320")
        XCTAssertEqual(camera.status, 200)
        let someone = try await daemon.client.send("GET", "/v1/preview.jpg?source=someone")
        XCTAssertEqual(someone.status, 404, "participants are seen while recording")
        let tiny = try await daemon.client.send("GET", "/v1/preview.jpg?width=5")
        XCTAssertEqual(tiny.status, 400)
        _ = try await daemon.stop()
    }
}
