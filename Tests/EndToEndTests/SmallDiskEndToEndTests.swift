import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// A class is never lost to space that delivered recordings hold: on a small filesystem of its own (a tmpfs the
/// test mounts), a booked class right after a recording that left the disk under `min_free_mb` starts on time,
/// because the delivered copy is removed first, and nothing undelivered is touched.
final class SmallDiskEndToEndTests: XCTestCase {
    func testABookedClassStartsOnTimeOnceTheDeliveredCopyIsRemoved() async throws {
        let daemon = try DaemonProcess(recording: "min_free_mb = 32\nreserve_mb = 8", sections: "[uploads]\nmin_free_gb = 0\nretention_days = 30")
        try FileManager.default.createDirectory(atPath: daemon.outputDirectory, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64m", "tmpfs", daemon.outputDirectory]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("mounting a tmpfs needs root (CAP_SYS_ADMIN); this test runs where it may mount") }
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = ["-l", daemon.outputDirectory]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        try await daemon.start()

        // A recording, delivered to the library; its local copy stays (30 days of retention).
        let started = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "Earlier class"}"#.utf8))
        XCTAssertEqual(started.status, 201, String(decoding: started.body, as: UTF8.self))
        let first = try started.decode(Recording.self)
        try await Task.sleep(for: .seconds(4))
        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        _ = try await daemon.client.waitForUpload(of: first.recordingId, context: daemon.log()) { $0.state == .done }
        let delivered = try await daemon.client.send("GET", "/v1/recordings/\(first.recordingId)").decode(Recording.self)
        let size = try XCTUnwrap(delivered.size)
        XCTAssertTrue(FileManager.default.fileExists(atPath: delivered.path), "the delivered copy is still here")

        // Something else (not a recording) fills the disk to just under min_free_mb; the delivered copy is
        // worth more than the shortfall.
        let free = try XCTUnwrap(try FileManager.default.attributesOfFileSystem(forPath: daemon.outputDirectory)[.systemFreeSize] as? Int64)
        let filler = "\(daemon.outputDirectory)/other-data.bin"
        let fill = free - (32 << 20) + size / 2
        XCTAssertGreaterThan(fill, 0)
        FileManager.default.createFile(atPath: filler, contents: Data(count: Int(fill)))

        // The upcoming list sees the space the delivered copy frees.
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3).rounded(.up))
        let booking = #"{"title": "Next class", "start": "\#(ISO8601.string(start))", "durationMinutes": 1}"#
        _ = try await daemon.client.send("POST", "/v1/schedule", json: Data(booking.utf8))
        let upcoming = try await daemon.client.send("GET", "/v1/schedule/upcoming").decode(UpcomingList.self).recordings
        XCTAssertEqual(upcoming.map(\.willRecord), [true], "\(upcoming)")

        var current: Recording?
        for _ in 0..<100 where current == nil {
            current = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self).current
            if current == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let next = try XCTUnwrap(current, daemon.log())
        XCTAssertTrue(next.name.hasSuffix(" - Next class"), next.name)
        XCTAssertEqual(next.startDate.timeIntervalSince(start), 0, accuracy: 1, "started on time")
        XCTAssertFalse(FileManager.default.fileExists(atPath: delivered.path), "the delivered copy made the room")
        XCTAssertTrue(FileManager.default.fileExists(atPath: filler), "nothing else is touched")
        XCTAssertTrue(daemon.log().contains("removed the local copy of a delivered recording"), daemon.log())
        try await daemon.stop()
    }
}
