@testable import Daemon
import Foundation
import Media
import RecorderCore
import Synchronization
import XCTest

/// The room's camera and microphone (here the synthetic stage) captured once for the recording and the session's
/// publication: both get every picture and period while attached, capture stops with the last consumer and
/// starts again with the next, and its pictures fall on the grid a recording puts its output instants on.
final class RoomSourcesTests: XCTestCase {
    /// Counts what a consumer got, and the capture instants of its pictures.
    private final class Tally: Sendable {
        let pictures = Mutex<[MonotonicInstant]>([])
        let sounds = Atomic(0)
        var consumer: RoomSources.Consumer {
            RoomSources.Consumer(picture: { [self] frame in pictures.withLock { $0.append(frame.capturedAt) } },
                                 sound: { [self] _ in sounds.add(1, ordering: .relaxed) })
        }
        var pictureCount: Int { pictures.withLock { $0.count } }
    }

    func testEveryConsumerGetsTheRoomAndCaptureRunsOnlyWhileOneIsAttached() throws {
        let sources = RoomSources(capture: RoomRecorderConfig().capture, report: { _, _ in })
        let (recording, publication) = (Tally(), Tally())
        let first = sources.attach(recording.consumer)
        let second = sources.attach(publication.consumer)
        Thread.sleep(forTimeInterval: 1)
        first.detach()
        let atDetach = recording.pictureCount
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertGreaterThan(atDetach, 20, "about 30 pictures a second")
        XCTAssertEqual(recording.pictureCount, atDetach, "a detached consumer gets nothing more")
        XCTAssertGreaterThan(publication.pictureCount, atDetach + 10, "the other goes on getting pictures")
        XCTAssertGreaterThan(publication.sounds.load(ordering: .relaxed), 40, "and sound (47 blocks of 1024 samples a second)")

        second.detach()
        Thread.sleep(forTimeInterval: 0.2)
        let stopped = publication.pictureCount
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(publication.pictureCount, stopped, "capture stopped with the last consumer")

        let again = Tally()
        let third = sources.attach(again.consumer)
        Thread.sleep(forTimeInterval: 0.7)
        third.detach()
        XCTAssertGreaterThan(again.pictureCount, 10, "capture starts again with the next consumer")

        // The pictures fall on the grid a recording's output instants are put on.
        for instant in publication.pictures.withLock({ $0 }) + again.pictures.withLock({ $0 }) {
            XCTAssertEqual(sources.gridInstant(atOrAfter: instant.advanced(by: -0.001)).seconds(since: instant), 0, accuracy: 1e-6)
        }
    }
}
