import RecorderCore
import XCTest

final class SessionRosterTests: XCTestCase {
    private let teacher = SessionParticipant(id: "1", display: "Dr. Ada", role: .host,
                                             tracks: [SessionTrack(id: "0", kind: .audio, codec: "opus"), SessionTrack(id: "1", kind: .video, codec: "h264")])
    private let student = SessionParticipant(id: "2", display: "Student", tracks: [SessionTrack(id: "0", kind: .video, codec: "vp8")])

    func testParticipantsComeAndGoAndTheHostsPresenceIsFollowed() {
        var roster = SessionRoster()
        XCTAssertEqual(roster.apply(.connecting(attempt: 1)), [])
        XCTAssertEqual(roster.state, .connecting)

        XCTAssertEqual(roster.apply(.joined(participants: [student])), [.joined(student)], "no host yet: nothing to start or stop")
        XCTAssertEqual(roster.state, .joined)
        XCTAssertEqual(roster.apply(.participantUpdated(teacher)), [.joined(teacher), .hostReturned])
        XCTAssertTrue(roster.hostPresent)
        XCTAssertEqual(roster.participants.map(\.id), ["2", "1"], "in the order they came")

        XCTAssertEqual(roster.apply(.participantUpdated(teacher)), [], "the same again changes nothing")
        var sharing = teacher
        sharing.tracks.append(SessionTrack(id: "2", kind: .video, codec: "h264", isScreen: true))
        XCTAssertEqual(roster.apply(.participantUpdated(sharing)), [.updated(sharing)])
        XCTAssertTrue(roster.participants[1].sharesScreen)
        let camera = SessionTrack(id: "v0", kind: .video, codec: "vp8")
        let screen = SessionTrack(id: "v1", kind: .video, codec: "vp8", isScreen: true)
        let both = SessionParticipant(id: "7", display: "Dr. Ada", tracks: [camera, screen])
        XCTAssertEqual(both.sharedScreen, screen, "a camera and a screen: the screen is content of its own")
        XCTAssertFalse(both.isScreenOnly)
        XCTAssertEqual(both.screenSourceID, "7#screen")
        let screenOnly = SessionParticipant(id: "8", display: "Dr. Ada (screen)", tracks: [screen])
        XCTAssertTrue(screenOnly.isScreenOnly, "a screen alone is the participant's own tile, as content")
        XCTAssertNil(screenOnly.sharedScreen)
        XCTAssertNil(SessionParticipant(id: "9", display: "Student", tracks: [camera]).sharedScreen)

        XCTAssertEqual(roster.apply(.talking(id: "2", true)).count, 1)
        XCTAssertEqual(roster.speaking?.id, "2")
        XCTAssertEqual(roster.apply(.talking(id: "2", true)), [])
        XCTAssertEqual(roster.apply(.talking(id: "9", true)), [], "someone unknown")

        XCTAssertEqual(roster.apply(.participantLeft(id: "1")), [.left(sharing), .hostLeft])
        XCTAssertFalse(roster.hostPresent)
        XCTAssertEqual(roster.apply(.participantLeft(id: "1")), [], "leaving twice")
        XCTAssertEqual(roster.apply(.participantUpdated(teacher)), [.joined(teacher), .hostReturned])
    }

    func testADroppedConnectionTakesTheTilesAwayButIsNotTheHostLeaving() {
        var roster = SessionRoster()
        _ = roster.apply(.joined(participants: [teacher, student]))
        XCTAssertTrue(roster.hostPresent)

        let dropped = roster.apply(.disconnected(reason: "connection refused", retryIn: 2))
        XCTAssertEqual(dropped, [.left(student), .left(teacher)], "tiles go, and no .hostLeft")
        XCTAssertEqual(roster.state, .reconnecting)
        XCTAssertEqual(roster.lastError, "connection refused")
        XCTAssertEqual(roster.apply(.connecting(attempt: 2)), [])
        XCTAssertEqual(roster.state, .reconnecting)

        XCTAssertEqual(roster.apply(.joined(participants: [teacher, student])), [.joined(teacher), .joined(student)],
                       "back with the host there: no grace started or ended")
        XCTAssertEqual(roster.reconnects, 1)
        XCTAssertNil(roster.lastError)

        _ = roster.apply(.disconnected(reason: "timed out", retryIn: 4))
        XCTAssertEqual(roster.apply(.joined(participants: [student])), [.joined(student), .hostLeft],
                       "the host really left while the room was away")
        XCTAssertEqual(roster.reconnects, 2)
    }

    func testABreakoutTakesTheTilesAwayAndTheHostInTheMainRoomIsNotMissed() {
        var roster = SessionRoster()
        _ = roster.apply(.joined(participants: [teacher, student]))
        let group = SessionParticipant(id: "31", display: "Student B", tracks: [SessionTrack(id: "0", kind: .video, codec: "h264")])

        XCTAssertEqual(roster.apply(.moved(room: "5678", breakout: true)), [.left(student), .left(teacher)], "the main room's tiles go; the host did not leave")
        XCTAssertEqual(roster.state, .connecting)
        XCTAssertTrue(roster.inBreakout)
        XCTAssertEqual(roster.apply(.joined(participants: [group])), [.joined(group)], "no host in the breakout, and no grace for it")
        XCTAssertEqual(roster.reconnects, 0, "a move is not a reconnect")

        XCTAssertEqual(roster.apply(.moved(room: "1234", breakout: false)), [.left(group)])
        XCTAssertFalse(roster.inBreakout)
        XCTAssertEqual(roster.apply(.joined(participants: [teacher, student])), [.joined(teacher), .joined(student)], "the host is where the room left them")
        XCTAssertEqual(roster.reconnects, 0)
        _ = roster.apply(.moved(room: "5678", breakout: true))
        _ = roster.apply(.joined(participants: []))
        XCTAssertEqual(roster.apply(.moved(room: "1234", breakout: false)), [])
        XCTAssertEqual(roster.apply(.joined(participants: [student])), [.joined(student), .hostLeft], "the host left the main room meanwhile")

        // The host gone from the main room, their grace running: a breakout stops it, as their absence cannot be
        // followed from there; back in the main room it is taken up again.
        XCTAssertEqual(roster.apply(.moved(room: "5678", breakout: true)), [.left(student), .hostReturned])
        XCTAssertEqual(roster.apply(.joined(participants: [group])), [.joined(group)])
        _ = roster.apply(.moved(room: "1234", breakout: false))
        XCTAssertEqual(roster.apply(.joined(participants: [student])), [.joined(student), .hostLeft])

        // A session without a host on stage has no host to miss, in a breakout or back.
        var hostless = SessionRoster()
        _ = hostless.apply(.joined(participants: [student]))
        XCTAssertEqual(hostless.apply(.moved(room: "5678", breakout: true)), [.left(student)])
        _ = hostless.apply(.joined(participants: [group]))
        _ = hostless.apply(.moved(room: "1234", breakout: false))
        XCTAssertEqual(hostless.apply(.joined(participants: [student])), [.joined(student)], "no host to have left")
    }

    func testAFailureBeforeTheFirstJoinStaysConnecting() {
        var roster = SessionRoster()
        XCTAssertEqual(roster.apply(.disconnected(reason: "no such room", retryIn: 1)), [])
        XCTAssertEqual(roster.state, .connecting)
        XCTAssertEqual(roster.reconnects, 0)
    }
}
