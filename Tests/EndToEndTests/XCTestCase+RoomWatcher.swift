import TestSupport
import XCTest

extension XCTestCase {
    /// What a remote watcher must have received of the room's synthetic stage, published at 1280×720: a moving
    /// pattern that flashes white once a second, and a 440 Hz tone with a 1 kHz beep each second (watched for 5 s
    /// with `tones: [440, 1000]`).
    func assertTheWatcherSawTheSyntheticRoom(_ seen: JanusWatcher.Report, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(seen.width, 1280, "the picture fits 1280x720: \(seen)", file: file, line: line)
        XCTAssertEqual(seen.height, 720, "\(seen)", file: file, line: line)
        XCTAssertGreaterThan(seen.videoFrames, 100, "about 30 pictures a second for 5 s: \(seen)", file: file, line: line)
        XCTAssertGreaterThan(seen.lumaStd, 20, "a pattern, not a slate: \(seen)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(seen.brightFrames, 3, "the white flash of each second: \(seen)", file: file, line: line)
        XCTAssertGreaterThan(seen.audioSeconds, 4, "\(seen)", file: file, line: line)
        XCTAssertGreaterThan(seen.tones["440"] ?? 0, 100, "the room's tone: \(seen)", file: file, line: line)
        XCTAssertGreaterThan(seen.tones["1000"] ?? 0, 100, "the room's beeps: \(seen)", file: file, line: line)
    }
}
