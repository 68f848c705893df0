import Catalog
import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import Uploads
import XCTest

/// A real `roomrecd` records the synthetic stage through its control socket, finalizes the file and delivers it
/// to the local media library; `ffprobe` and `ffmpeg` check what arrived.
final class RecordingEndToEndTests: XCTestCase {
    struct RecordingList: Decodable { var recordings: [Recording] }

    func testRecordsAStageAndDeliversAPlayable1080pMP4() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let client = daemon.client

        // Bad requests change nothing.
        let unknown = try await client.send("GET", "/v1/nothing")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.problem?.status, 404)
        let malformed = try await client.send("POST", "/v1/recordings", json: Data("{\"title\":".utf8))
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual(malformed.header("Content-Type"), "application/problem+json")
        let stopIdle = try await client.send("POST", "/v1/recordings/current/stop")
        XCTAssertEqual(stopIdle.status, 409)
        let wrongMethod = try await client.send("PUT", "/v1/recordings")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("Allow"), "POST, GET, DELETE")
        let oversized = try await client.send("POST", "/v1/recordings", json: Data(repeating: 0x20, count: (1 << 20) + 1))
        XCTAssertEqual(oversized.status, 413)
        let before = try await client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings
        XCTAssertEqual(before.count, 0)
        let idle = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(idle.state, .idle)

        let started = MonotonicInstant.now()
        let start = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "Physics 101: Optics"}"#.utf8))
        XCTAssertEqual(start.status, 201, String(decoding: start.body, as: UTF8.self))
        let recording = try start.decode(Recording.self)
        XCTAssertEqual(start.header("Location"), "/v1/recordings/\(recording.recordingId)")
        XCTAssertEqual(recording.status, .active)
        XCTAssertEqual(recording.owner, "channel-owner")

        let second = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "Another"}"#.utf8))
        XCTAssertEqual(second.status, 409)
        XCTAssertEqual(second.problem?.status, 409)
        XCTAssertTrue(second.problem?.detail.contains(recording.recordingId) ?? false)
        let status = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(status.state, .recording)
        XCTAssertEqual(status.current?.recordingId, recording.recordingId)

        try await Task.sleep(for: .seconds(3))
        let running = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        let pipeline = try XCTUnwrap(running.pipeline, "status shows the pipeline while recording: \(running); \(daemon.log())")
        XCTAssertEqual(pipeline.layout, "grid")
        XCTAssertGreaterThan(pipeline.framesEncoded, 60)
        XCTAssertGreaterThan(pipeline.realTimeFactor, 0)
        XCTAssertLessThan(abs(pipeline.avOffsetMs), 33, "audio within a frame of the picture")
        print("pipeline while recording: \(pipeline)")
        try await Task.sleep(for: .seconds(2))
        let stop = try await client.send("POST", "/v1/recordings/current/stop")
        let recordedSeconds = MonotonicInstant.now().seconds(since: started)
        XCTAssertEqual(stop.status, 202)
        XCTAssertEqual(try stop.decode(Recording.self).status, .ending)

        let job = try await client.waitForUpload(of: recording.recordingId) { $0.state == .done }
        let list = try await client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings
        XCTAssertEqual(list.count, 1, "the refused requests made no recording")
        let finished = try XCTUnwrap(list.first)
        XCTAssertEqual(finished.status, .complete)
        XCTAssertEqual(finished.uploadStatus, .uploaded)

        // The name follows the platform pattern and is safe on every filesystem.
        XCTAssertTrue(finished.name.range(of: #"^Rec - \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} - Physics 101: Optics$"#, options: .regularExpression) != nil, finished.name)
        XCTAssertTrue(finished.filename.range(of: #"^Rec - \d{4}-\d{2}-\d{2} \d{2}-\d{2}-\d{2} - Physics 101_ Optics\.mp4$"#, options: .regularExpression) != nil, finished.filename)
        let delivered = try XCTUnwrap(job.remoteId)
        XCTAssertEqual(delivered, "\(daemon.libraryDirectory)/room-101/Recordings/\(finished.filename)")

        // What ffprobe says of the delivered file.
        let probe = try FFprobe.run(delivered)
        XCTAssertEqual(probe.recordingMismatches, [], "1080p30 H.264 High with AAC-LC 48 kHz stereo")
        XCTAssertEqual(probe.duration, recordedSeconds, accuracy: 0.5, "recorded \(recordedSeconds) s")
        XCTAssertEqual(finished.duration ?? 0, probe.duration, accuracy: 0.1)
        XCTAssertTrue(try FFprobe.moovPrecedesMdat(delivered), "the index comes before the media: it plays while downloading")
        XCTAssertEqual(try FFprobe.decodeErrors(delivered), [])

        // The catalog and the queue, read straight from SQLite, agree; the checksum matches the file.
        let catalog = try CatalogDatabase(path: "\(daemon.stateDirectory)/roomrec.sqlite")
        let read = try await catalog.recording(id: recording.recordingId)
        XCTAssertEqual(read?.status, .complete)
        let read2 = try await catalog.uploadJobs()
        XCTAssertEqual(read2.map(\.state), [.done])
        let digest = try FileDigest.sha256(path: delivered)
        let read3 = try await catalog.recording(id: recording.recordingId)
        XCTAssertEqual(read3?.sha256, digest)
        XCTAssertEqual(try FileDigest.sha256(path: finished.path), digest)
        XCTAssertEqual(job.bytesConfirmed, finished.size)

        // Audio and video stay together: every white flash has its beep within a fraction of a frame.
        let marks = try AVSyncProbe.marks(in: delivered)
        XCTAssertGreaterThanOrEqual(marks.flashes.count, 3, "flashes: \(marks.flashes)")
        XCTAssertGreaterThanOrEqual(marks.beeps.count, 4, "beeps: \(marks.beeps)")
        for offset in marks.offsets { XCTAssertLessThan(abs(offset), 0.005, "A/V offset \(offset) s; flashes \(marks.flashes), beeps \(marks.beeps)") }
        print("A/V offsets (s): \(marks.offsets.map { String(format: "%+.4f", $0) }.joined(separator: " "))")

        let exit = try await daemon.stop()
        XCTAssertEqual(exit, 0, daemon.log())
    }

    func testTriesTheEncodersCalibratesLibx264OnceAndSaysWhy() async throws {
        let daemon = try DaemonProcess(preset: "auto")
        try await daemon.start()
        // Polled while the calibration keeps both cores busy: a refused or dropped request is tried again.
        var status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        for _ in 0..<300 where status.encoder.reason?.contains("still being tried") ?? true {
            try await Task.sleep(for: .milliseconds(100))
            if let next = try? await daemon.client.send("GET", "/v1/status").decode(StatusReport.self) { status = next }
        }
        let reason = try XCTUnwrap(status.encoder.reason)
        print("encoder: \(status.encoder.video): \(reason)")
        XCTAssertFalse(reason.contains("still being tried"), daemon.log())
        let calibrationPath = "\(daemon.stateDirectory)/encoder-calibration.json"
        if status.encoder.video.hasPrefix("libx264") {
            XCTAssertTrue(reason.contains("measured on this machine"), reason)
            let calibration = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: calibrationPath))) as? [String: Any]
            XCTAssertEqual(status.encoder.video, "libx264 (\(calibration?["preset"] as? String ?? "?"))")
        }
        // A restart on the same machine reuses the measurement.
        try await daemon.stop()
        try await daemon.start()
        for _ in 0..<100 where !daemon.log().contains("libx264 preset from the calibration on disk") {
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(daemon.log().components(separatedBy: "libx264 calibrated").count - 1, 1, "measured once")
        XCTAssertTrue(daemon.log().contains("libx264 preset from the calibration on disk"))
        try await daemon.stop()
    }

    func testSIGKILLWhileRecordingLeavesAPlayableFileThatIsRecoveredOnRestart() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let recording = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Crash"}"#.utf8)).decode(Recording.self)
        let startedAt = Date()
        try await Task.sleep(for: .seconds(4))
        let killed = try await daemon.stop(signal: SIGKILL)
        let recorded = Date().timeIntervalSince(startedAt)
        XCTAssertEqual(killed, SIGKILL)

        // The file being written is playable as it was left.
        let partial = recording.path
        XCTAssertTrue(FileManager.default.fileExists(atPath: partial), partial)
        let probe = try FFprobe.run(partial)
        XCTAssertEqual(probe.video?.codecName, "h264")
        XCTAssertEqual(probe.video?.width, 1920)
        XCTAssertEqual(probe.audio?.codecName, "aac")
        XCTAssertGreaterThan(probe.duration, 2, "at most the last fragments are lost")
        let decoded = try ProcessRunner.run("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-i", partial, "-f", "null", "-"])
        XCTAssertEqual(decoded.status, 0, decoded.stderr)

        // On restart it is finalized, marked recovered and delivered.
        try await daemon.start()
        let job = try await daemon.client.waitForUpload(of: recording.recordingId) { $0.state == .done }
        let recovered = try await daemon.client.send("GET", "/v1/recordings").decode(RecordingList.self).recordings.first
        XCTAssertEqual(recovered?.status, .recovered)
        XCTAssertNotNil(recovered?.reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "the working file is replaced by the finalized one")
        let final = try FFprobe.run(try XCTUnwrap(job.remoteId))
        XCTAssertGreaterThanOrEqual(final.duration, recorded - 2, "at most 2 s lost of \(recorded) s recorded")
        XCTAssertEqual(try FFprobe.decodeErrors(try XCTUnwrap(job.remoteId)), [])
        try await daemon.stop()
    }

    func testSIGTERMFinishesTheRecordingInProgressAsAPlayableFile() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let recording = try await daemon.client.send("POST", "/v1/recordings").decode(Recording.self)
        try await Task.sleep(for: .seconds(3))
        let exit = try await daemon.stop(signal: SIGTERM)
        XCTAssertEqual(exit, 0, daemon.log())

        let catalog = try CatalogDatabase(path: "\(daemon.stateDirectory)/roomrec.sqlite")
        let read = try await catalog.recording(id: recording.recordingId)
        let read2 = try XCTUnwrap(read)
        XCTAssertEqual(read2.status, .aborted, "a recording cut short by a stop is not reported complete")
        XCTAssertTrue(read2.reason?.contains("stopped") ?? false, read2.reason ?? "")
        XCTAssertEqual(try FFprobe.run(read2.path).duration, 3, accuracy: 0.7)
        let read3 = try await catalog.uploadJobs()
        XCTAssertEqual(read3.count, 1, "it was queued before the daemon exited")
    }

    func testABadConfigurationStopsTheDaemonNamingFileLineAndKey() throws {
        let daemon = try DaemonProcess()
        try "[room]\nid = \"r\"\ntype = \"chanel\"\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let run = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecd", ["--config", daemon.configPath])
        XCTAssertEqual(run.status, 78)
        XCTAssertTrue(run.stderr.contains("\(daemon.configPath):3: room.type: expected one of"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.socketPath), "nothing was started")

        let check = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecd", ["--config", daemon.configPath, "--check-config"])
        XCTAssertEqual(check.status, 78)
    }

    func testRoomrecctlPrintsTablesAndJSON() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let ctl = "\(DaemonProcess.binDirectory)/roomrecctl"
        let status = try ProcessRunner.run(ctl, ["status", "--socket", daemon.socketPath])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("State") && status.stdout.contains("idle"), status.stdout)
        let start = try ProcessRunner.run(ctl, ["start", "--title", "Chemistry", "--socket", daemon.socketPath])
        XCTAssertEqual(start.status, 0, start.stderr)
        XCTAssertTrue(start.stdout.contains("Rec - "), start.stdout)
        let again = try ProcessRunner.run(ctl, ["start", "--socket", daemon.socketPath])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("HTTP 409"), again.stderr)
        let usage = try ProcessRunner.run(ctl, ["recordings", "rm", "--socket", daemon.socketPath])
        XCTAssertEqual(usage.status, 2, "wrong usage: \(usage.stderr)")
        let unreachable = try ProcessRunner.run(ctl, ["status", "--socket", "\(daemon.root.path)/none.sock"])
        XCTAssertEqual(unreachable.status, 3)
        XCTAssertTrue(unreachable.stderr.contains("systemctl status roomrec"), unreachable.stderr)
        let json = try ProcessRunner.run(ctl, ["status", "--json", "--socket", daemon.socketPath])
        XCTAssertEqual(try ControlJSON.decoder().decode(StatusReport.self, from: Data(json.stdout.utf8)).state, .recording)
        let stop = try ProcessRunner.run(ctl, ["stop", "--socket", daemon.socketPath])
        XCTAssertEqual(stop.status, 0, stop.stderr)
        let recordings = try ProcessRunner.run(ctl, ["recordings", "--socket", daemon.socketPath])
        XCTAssertTrue(recordings.stdout.contains("Chemistry"), recordings.stdout)
        _ = try await daemon.client.waitForUpload() { $0.state == .done }
        let queue = try ProcessRunner.run(ctl, ["queue", "--socket", daemon.socketPath])
        XCTAssertTrue(queue.stdout.contains("done") && queue.stdout.contains("100%"), queue.stdout)
        try await daemon.stop()
    }

    func testTellsSystemdItIsReadyFeedsTheWatchdogAndSaysItIsStopping() async throws {
        let daemon = try DaemonProcess()
        let notify = try NotifySocket(path: "\(daemon.root.path)/notify.sock")
        try await daemon.start(environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        _ = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Watched"}"#.utf8))
        try await Task.sleep(for: .seconds(2))
        let exit = try await daemon.stop()
        XCTAssertEqual(exit, 0, daemon.log())
        try await Task.sleep(for: .milliseconds(300))
        let messages = notify.messages
        XCTAssertTrue(messages.contains("READY=1"), "\(messages)")
        XCTAssertTrue(messages.contains("STATUS=Idle"), "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("STATUS=Recording \"Rec - ") && $0.hasSuffix(" - Watched\"") }, "\(messages)")
        XCTAssertGreaterThanOrEqual(messages.filter { $0 == "WATCHDOG=1" }.count, 3, "\(messages)")
        XCTAssertTrue(messages.contains("STOPPING=1"), "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("EXTEND_TIMEOUT_USEC=") }, "finalizing asks for time: \(messages)")
        XCTAssertLessThan(messages.firstIndex(of: "READY=1")!, messages.firstIndex(of: "STOPPING=1")!)
    }

    func testServesASocketPassedBySystemd() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start(socketActivated: true)
        let status = try await daemon.client.send("GET", "/v1/status")
        XCTAssertEqual(status.status, 200)
        XCTAssertTrue(daemon.log().contains("using the control socket passed by systemd"), daemon.log())
        let exit = try await daemon.stop()
        XCTAssertEqual(exit, 0, daemon.log())
    }

    func testSystemdUnitsVerify() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../units/verify-units.sh").standardized.path
        let run = try ProcessRunner.run("/bin/bash", [script, DaemonProcess.binDirectory])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
    }

}
