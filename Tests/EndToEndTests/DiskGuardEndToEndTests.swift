import ControlClient
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// `roomrecd` recording onto a filesystem of a few megabytes: a full disk or the free-space reserve ends the
/// recording as a playable file with a warning, and a start with too little space is refused with the reason.
final class DiskGuardEndToEndTests: XCTestCase {
    private var daemon: DaemonProcess?
    private var volume: SmallVolume?

    override func tearDown() async throws {
        try await daemon?.stop(signal: SIGKILL)
        daemon = nil
        volume = nil
    }

    /// Waits until the recording is no longer in progress and returns it.
    private func waitUntilFinished(_ id: String, in daemon: DaemonProcess) async throws -> Recording {
        for _ in 0..<400 {
            let recording = try await daemon.client.send("GET", "/v1/recordings/\(id)").decode(Recording.self)
            if !recording.status.isInProgress, recording.size != nil { return recording }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessRunner.Failure(message: "recording \(id) never finished; log:\n\(daemon.log())")
    }

    func testAFullDiskEndsTheRecordingAsAPlayableFileWithAWarning() async throws {
        // No reserve: only the kernel's "no space left" stops this recording.
        let daemon = try DaemonProcess(recording: "min_free_mb = 1\nreserve_mb = 0")
        self.daemon = daemon
        volume = try SmallVolume.mount(at: daemon.outputDirectory, megabytes: 5)
        // Where mounting is not allowed, the kernel's file-size limit refuses the write instead (EFBIG).
        try await daemon.start(wrapper: volume == nil ? ["/usr/bin/prlimit", "--fsize=5000000", "--"] : [])
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Full disk"}"#.utf8)).decode(Recording.self)

        let ended = try await waitUntilFinished(started.recordingId, in: daemon)
        XCTAssertEqual(ended.status, .aborted, "a recording cut short by the disk is not complete")
        let reason = try XCTUnwrap(ended.reason)
        XCTAssertTrue(reason.contains(volume == nil ? "largest size" : "disk is full"), reason)
        XCTAssertNotNil(ended.endDate, "the time range it covers")
        XCTAssertGreaterThan(ended.duration ?? 0, 2)
        let job = try await daemon.client.waitForUpload(of: started.recordingId, context: daemon.log()) { $0.state == .done }
        let delivered = try XCTUnwrap(job.remoteId)
        XCTAssertEqual(try FFprobe.run(delivered).recordingMismatches, [])
        XCTAssertEqual(try FFprobe.decodeErrors(delivered), [], "the file ends at its last whole fragment")
        XCTAssertTrue(daemon.log().contains("the recording stopped early"), "a warning is raised and logged")
    }

    func testFallingUnderTheReserveStopsTheRecordingAndANewStartIsRefused() async throws {
        let daemon = try DaemonProcess(recording: "min_free_mb = 5\nreserve_mb = 3")
        self.daemon = daemon
        guard let volume = try SmallVolume.mount(at: daemon.outputDirectory, megabytes: 9) else {
            throw XCTSkip("mounting a small tmpfs needs root; the full-disk test covers the write failure without it")
        }
        self.volume = volume
        try await daemon.start()
        let started = try await daemon.client.send("POST", "/v1/recordings").decode(Recording.self)

        let ended = try await waitUntilFinished(started.recordingId, in: daemon)
        XCTAssertEqual(ended.status, .aborted)
        XCTAssertTrue(ended.reason?.contains("reserve") ?? false, ended.reason ?? "")
        XCTAssertEqual(try FFprobe.decodeErrors(ended.path), [], "stopped cleanly, not by a failed write")
        XCTAssertTrue(daemon.log().contains("recording stopping: low disk space"), daemon.log())

        _ = try await daemon.client.waitForUpload(of: started.recordingId) { $0.state == .done }
        let refused = try await daemon.client.send("POST", "/v1/recordings")
        XCTAssertEqual(refused.status, 503)
        XCTAssertTrue(refused.problem?.detail.contains("min_free_mb") ?? false, "\(String(decoding: refused.body, as: UTF8.self))")
        XCTAssertGreaterThan(volume.freeBytes, 0)
    }
}
