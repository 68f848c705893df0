import Capture
import Foundation
import Media
import RecorderCore
import Synchronization
import TestSupport
import XCTest

final class RecordingWriterTests: XCTestCase {
    private func record(seconds: Double, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("stage.fmp4.mp4").path
        try recordSyntheticStage(seconds: seconds, to: path)
        return path
    }

    func testFragmentedRecordingFinalizesToFaststartMP4() throws {
        let directory = try TemporaryDirectory()
        let fragmented = try record(seconds: 3, in: directory.url)
        let probeFragmented = try FFprobe.run(fragmented)
        XCTAssertEqual(probeFragmented.video?.codecName, "h264")

        let final = directory.url.appendingPathComponent("final.mp4").path
        let result = try MP4Finalizer.finalize(fragmented: fragmented, to: final)
        XCTAssertEqual(result.duration, 3, accuracy: 0.4)
        if let keep = ProcessInfo.processInfo.environment["ROOMREC_KEEP"] { try? FileManager.default.copyItem(atPath: final, toPath: keep) }
        let probe = try FFprobe.run(final)
        XCTAssertEqual(probe.recordingMismatches, [], "1080p30 H.264 High with AAC-LC 48 kHz stereo")
        XCTAssertTrue(try FFprobe.moovPrecedesMdat(final), "faststart: the index must come before the media data")
        XCTAssertFalse(FileManager.default.fileExists(atPath: final + ".finalizing"))
    }
}
