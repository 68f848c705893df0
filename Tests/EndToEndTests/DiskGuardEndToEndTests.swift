import ControlClient
import ControlContract
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

    func testAFullDiskEndsTheRecordingAsAPlayableFileWithAWarning() async throws {
        // No reserve: only the kernel's "no space left" stops this recording.
        let daemon = try DaemonProcess(recording: "min_free_mb = 1\nreserve_mb = 0")
        self.daemon = daemon
        volume = try SmallVolume.mount(at: daemon.outputDirectory, megabytes: 5)
        // Where mounting is not allowed, the kernel's file-size limit refuses the write instead (EFBIG).
        try await daemon.start(wrapper: volume == nil ? ["/usr/bin/prlimit", "--fsize=5000000", "--"] : [])
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Full disk"}"#.utf8)).decode(Recording.self)

        let ended = try await daemon.waitUntilFiled(started.recordingId, seconds: 40)
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

    /// A daemon whose recordings go to a tmpfs of `megabytes` of its own, started; skipped where this process may
    /// not mount.
    private func daemonOnSmallVolume(megabytes: Int, recording: String, sections: String) async throws -> (DaemonProcess, SmallVolume) {
        let daemon = try DaemonProcess(recording: recording, sections: sections)
        self.daemon = daemon
        guard let volume = try SmallVolume.mount(at: daemon.outputDirectory, megabytes: megabytes) else {
            throw XCTSkip("mounting a small tmpfs needs root; the full-disk test covers the write failure without it")
        }
        self.volume = volume
        try await daemon.start()
        return (daemon, volume)
    }

    /// The reserve stops a recording cleanly; a start is refused while the space is held by a recording not yet
    /// delivered, and goes ahead once its delivered copy can make room.
    func testFallingUnderTheReserveStopsTheRecordingAndANewStartWaitsForTheDelivery() async throws {
        let (daemon, volume) = try await daemonOnSmallVolume(megabytes: 9, recording: "min_free_mb = 5\nreserve_mb = 3",
                                                             sections: "[uploads]\nmin_free_gb = 0")
        _ = try await daemon.client.send("POST", "/v1/uploads/pause")
        let started = try await daemon.client.send("POST", "/v1/recordings").decode(Recording.self)

        let ended = try await daemon.waitUntilFiled(started.recordingId, seconds: 40)
        XCTAssertEqual(ended.status, .aborted)
        XCTAssertTrue(ended.reason?.contains("reserve") ?? false, ended.reason ?? "")
        XCTAssertEqual(try FFprobe.decodeErrors(ended.path), [], "stopped cleanly, not by a failed write")
        XCTAssertTrue(daemon.log().contains("recording stopping: low disk space"), daemon.log())

        let refused = try await daemon.client.send("POST", "/v1/recordings")
        XCTAssertEqual(refused.status, 503)
        let detail = refused.problem?.detail ?? String(decoding: refused.body, as: UTF8.self)
        XCTAssertTrue(detail.contains("min_free_mb") && detail.contains("1 not yet delivered"), detail)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ended.path), "an undelivered recording is never removed")

        _ = try await daemon.client.send("POST", "/v1/uploads/resume")
        _ = try await daemon.client.waitForUpload(of: started.recordingId) { $0.state == .done }
        let accepted = try await daemon.client.send("POST", "/v1/recordings")
        XCTAssertEqual(accepted.status, 201, "the delivered copy makes room; \(String(decoding: accepted.body, as: UTF8.self))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ended.path))
        XCTAssertGreaterThan(volume.freeBytes, 5 << 20)
    }

    /// A class is never lost to space that delivered recordings hold: a booked class right after a recording
    /// that left the disk under `min_free_mb` starts on time, because the delivered copy is removed first, and
    /// nothing else is touched.
    func testABookedClassStartsOnTimeOnceTheDeliveredCopyIsRemoved() async throws {
        let (daemon, volume) = try await daemonOnSmallVolume(megabytes: 64, recording: "min_free_mb = 32\nreserve_mb = 8",
                                                             sections: "[uploads]\nmin_free_gb = 0\nretention_days = 30")

        // A recording, delivered to the library; its local copy stays (30 days of retention).
        let first = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Earlier class"}"#.utf8)).decode(Recording.self)
        try await Task.sleep(for: .seconds(4))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        _ = try await daemon.client.waitForUpload(of: first.recordingId, context: daemon.log()) { $0.state == .done }
        let delivered = try await daemon.client.send("GET", "/v1/recordings/\(first.recordingId)").decode(Recording.self)
        let size = try XCTUnwrap(delivered.size)
        XCTAssertTrue(FileManager.default.fileExists(atPath: delivered.path), "the delivered copy is still here")

        // Something else (not a recording) fills the disk to just under min_free_mb; the delivered copy is worth
        // more than the shortfall.
        let filler = "\(daemon.outputDirectory)/other-data.bin"
        let fill = volume.freeBytes - (32 << 20) + size / 2
        XCTAssertGreaterThan(fill, 0)
        XCTAssertTrue(FileManager.default.createFile(atPath: filler, contents: Data(count: Int(fill))))

        // The upcoming list counts the space the delivered copy frees.
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3).rounded(.up))
        let booking = #"{"title": "Next class", "start": "\#(ISO8601.string(start))", "durationMinutes": 1}"#
        _ = try await daemon.client.send("POST", "/v1/schedule", json: Data(booking.utf8))
        let upcoming = try await daemon.client.send("GET", "/v1/schedule/upcoming").decode(UpcomingList.self).recordings
        XCTAssertEqual(upcoming.map(\.willRecord), [true], "\(upcoming)")

        let found = try await daemon.waitForRecording(attempts: 100)
        let next = try XCTUnwrap(found, daemon.log())
        XCTAssertTrue(next.name.hasSuffix(" - Next class"), next.name)
        XCTAssertEqual(next.startDate.timeIntervalSince(start), 0, accuracy: 1, "started on time")
        XCTAssertFalse(FileManager.default.fileExists(atPath: delivered.path), "the delivered copy made the room")
        XCTAssertTrue(FileManager.default.fileExists(atPath: filler), "nothing else is touched")
        XCTAssertTrue(daemon.log().contains("removed the local copy of a delivered recording"), daemon.log())
    }
}
