import CFFmpeg
import Capture
import Foundation
@testable import Media
import RecorderCore
import Synchronization
import TestSupport
import XCTest

final class RecordingWriterTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory = nil }

    private func sha256sum(_ path: String) throws -> String {
        String(try ProcessRunner.run("/usr/bin/sha256sum", [path]).stdout.prefix(64))
    }

    func testAFinishedRecordingIsAPlayableMP4WhoseHashWasTakenWhileWriting() throws {
        let path = directory.url.appendingPathComponent("stage.mp4").path
        let (summary, failure) = try recordSyntheticStage(seconds: 3, to: path)
        XCTAssertNil(failure)
        XCTAssertFalse(summary.truncated)
        XCTAssertEqual(summary.duration, 3, accuracy: 0.4)
        XCTAssertEqual(summary.size, try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64)
        XCTAssertEqual(summary.sha256, try sha256sum(path), "the hash taken while writing is the file's")
        if let keep = ProcessInfo.processInfo.environment["ROOMREC_KEEP"] { try? FileManager.default.copyItem(atPath: path, toPath: keep) }
        let probe = try FFprobe.run(path)
        XCTAssertEqual(probe.recordingMismatches, [], "1080p30 H.264 High with AAC-LC 48 kHz stereo")
        XCTAssertEqual(probe.duration, summary.duration, accuracy: 0.1)
        XCTAssertTrue(try FFprobe.moovPrecedesMdat(path), "the index comes before the media: it plays while downloading")
        XCTAssertEqual(try FFprobe.decodeErrors(path), [])
    }

    func testFinalizingMovesTheFileAndNeverReplacesAnother() throws {
        let working = directory.url.appendingPathComponent(".a.recording.mp4").path
        let final = directory.url.appendingPathComponent("final.mp4").path
        try recordSyntheticStage(seconds: 1, to: working)
        _ = FileManager.default.createFile(atPath: final, contents: Data("someone else's".utf8))
        XCTAssertThrowsError(try MP4Finalizer.finalize(finished: working, to: final))
        XCTAssertEqual(try String(contentsOfFile: final, encoding: .utf8), "someone else's")
        try FileManager.default.removeItem(atPath: final)
        try MP4Finalizer.finalize(finished: working, to: final)
        XCTAssertFalse(FileManager.default.fileExists(atPath: working))
        XCTAssertEqual(try FFprobe.run(final).recordingMismatches, [])
    }

    /// A write the kernel refuses (here the file-size limit, as a full disk refuses one) stops the recording;
    /// the file is cut back to its last whole fragment and plays.
    func testAFailedWriteLeavesAPlayableFileEndingAtItsLastWholeFragment() throws {
        let path = directory.url.appendingPathComponent("full.mp4").path
        let limit: rlim_t = 1_500_000
        let fileSize = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var saved = rlimit()
        getrlimit(fileSize, &saved)
        let savedHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = limit
        XCTAssertEqual(setrlimit(fileSize, &limited), 0)
        let result: (summary: RecordingWriter.Summary, failure: Error?)
        do {
            defer {
                setrlimit(fileSize, &saved)
                signal(SIGXFSZ, savedHandler)
            }
            result = try recordSyntheticStage(seconds: 20, to: path)
        }
        let failure = try XCTUnwrap(result.failure as? FFmpegError, "the write failure stops the recording")
        XCTAssertEqual(failure.code, -EFBIG)
        XCTAssertTrue(result.summary.truncated)
        XCTAssertLessThanOrEqual(result.summary.size, Int64(limit))
        XCTAssertEqual(result.summary.size, try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64)
        XCTAssertEqual(result.summary.sha256, try sha256sum(path))
        XCTAssertGreaterThan(result.summary.duration, 0.9)
        XCTAssertEqual(try FFprobe.run(path).recordingMismatches, [])
        XCTAssertEqual(try FFprobe.decodeErrors(path), [], "no torn fragment at the end")
    }
}

extension RecordingWriterTests {
    /// The muxer patches its trailer's sizes once the trailer outgrows the I/O buffer (a recording of half an
    /// hour or more): the hash taken while writing still matches the file, by reading back only the trailer.
    func testAHashSurvivesATrailerThatPatchesItself() throws {
        for patchInTrailer in [true, false] {
            let path = directory.url.appendingPathComponent("patched-\(patchInTrailer).bin").path
            let file = try HashedOutputFile(path: path)
            let io = try XCTUnwrap(file.context)
            var media = [UInt8](repeating: 1, count: 100_000)
            avio_write(io, &media, Int32(media.count))
            file.beginTrailer()
            var trailer = [UInt8](repeating: 2, count: 200_000)  // more than the 64 KiB buffer: the patch reaches the file
            avio_write(io, &trailer, Int32(trailer.count))
            let end = avio_tell(io)
            avio_seek(io, patchInTrailer ? 100_010 : 50_000, SEEK_SET)
            var patch: [UInt8] = [9, 9, 9, 9]
            avio_write(io, &patch, Int32(patch.count))
            avio_seek(io, end, SEEK_SET)
            avio_flush(io)
            if patchInTrailer {
                XCTAssertEqual(file.sha256, try sha256sum(path), "only the trailer is read back")
            } else {
                XCTAssertNil(file.sha256, "a rewrite before the trailer: the whole file must be read")
            }
        }
    }
}
