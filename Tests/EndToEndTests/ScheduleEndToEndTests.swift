import ControlClient
import ControlContract
import Foundation
import RecorderCore
import TestSupport
import XCTest

/// Bookings through the control socket start and stop real recordings on time.
final class ScheduleEndToEndTests: XCTestCase {
    struct Bookings: Decodable { var bookings: [Booking] }

    private func body(_ fields: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: fields) }
    private func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    func testABookingRecordsFromItsStartToItsEndWithItsTitle() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let client = daemon.client
        let start = Date().addingTimeInterval(2)
        let end = start.addingTimeInterval(3)
        let added = try await client.send("POST", "/v1/schedule", json: try body(["title": "Booked lecture", "start": iso(start), "end": iso(end)]))
        XCTAssertEqual(added.status, 201, String(decoding: added.body, as: UTF8.self))
        let booking = try added.decode(Booking.self)
        XCTAssertEqual(added.header("Location"), "/v1/schedule/\(booking.bookingId)")
        let listed = try await client.send("GET", "/v1/schedule").decode(Bookings.self).bookings
        XCTAssertEqual(listed.map(\.bookingId), [booking.bookingId])

        // Watch the state and note when recording began and ended.
        var began: Date?
        var ended: Date?
        while Date() < end.addingTimeInterval(3), ended == nil {
            let state = try await client.send("GET", "/v1/status").decode(StatusReport.self).state
            if state == .recording, began == nil { began = Date() }
            if state == .idle, began != nil { ended = Date() }
            try await Task.sleep(for: .milliseconds(100))
        }
        let recordingBegan = try XCTUnwrap(began, "the booking never started a recording")
        let recordingEnded = try XCTUnwrap(ended, "the booking's recording never stopped")
        XCTAssertEqual(recordingBegan.timeIntervalSince(start), 0, accuracy: 1, "started on time")
        XCTAssertEqual(recordingEnded.timeIntervalSince(end), 0, accuracy: 1.5, "stopped on time (and finalized)")

        struct Page: Decodable { var recordings: [Recording] }
        let page = try await client.send("GET", "/v1/recordings").decode(Page.self)
        let recording = try XCTUnwrap(page.recordings.first)
        XCTAssertTrue(recording.name.hasSuffix(" - Booked lecture"), recording.name)
        XCTAssertEqual(recording.initiator, "schedule")
        XCTAssertEqual(recording.status, .complete)
        XCTAssertEqual(recording.duration ?? 0, 3, accuracy: 0.7)
        try await daemon.stop()
    }

    func testATimetableClassRecordsOnItsOwnAndStaysStoppedWhenStoppedByHand() async throws {
        let timetable = Self.classRunningNow(title: "Timetabled seminar")
        let daemon = try DaemonProcess(sections: timetable.section)
        try await daemon.start()
        let client = daemon.client
        let running = try await waitForRecording(daemon, attempts: 30)
        let current = try XCTUnwrap(running, "the class did not start a recording; \(daemon.log())")
        XCTAssertTrue(current.name.hasSuffix(" - Timetabled seminar"), current.name)
        XCTAssertEqual(current.initiator, "schedule")

        let listed = try await client.send("GET", "/v1/schedule").decode(Bookings.self).bookings
        XCTAssertEqual(listed.first?.bookingId, "timetable-\(timetable.day)-1")
        XCTAssertEqual(listed.first?.createdBy, "timetable")
        let removal = try await client.send("DELETE", "/v1/schedule/timetable-\(timetable.day)-1")
        XCTAssertEqual(removal.status, 409, "a timetable class is changed in the configuration")
        XCTAssertTrue(removal.problem?.detail.contains("exceptions") ?? false)

        _ = try await client.send("POST", "/v1/recordings/current/stop")
        try await Task.sleep(for: .seconds(2))
        let after = try await client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(after.state, .idle, "a class stopped by hand is not started again")
        try await daemon.stop()
    }

    func testABookingLongerThanTheDurationCapIsRecordedInPartsWithoutAGap() async throws {
        let daemon = try DaemonProcess(recording: "max_duration = \"10s\"")
        try await daemon.start()
        let client = daemon.client
        let start = Date().addingTimeInterval(1)
        let end = start.addingTimeInterval(14)
        let added = try await client.send("POST", "/v1/schedule", json: try body(["title": "Long lecture", "start": iso(start), "end": iso(end)]))
        XCTAssertEqual(added.status, 201)
        struct Page: Decodable { var recordings: [Recording] }
        var parts: [Recording] = []
        for _ in 0..<300 {
            parts = try await client.send("GET", "/v1/recordings").decode(Page.self).recordings.reversed()
            if parts.count == 2, parts.allSatisfy({ !$0.status.isInProgress }), Date() > end { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(parts.map(\.status), [.limitReached, .complete], "\(parts.map { ($0.status, $0.reason ?? "") })")
        guard parts.count == 2 else { return }
        XCTAssertEqual(parts[0].duration ?? 0, 10, accuracy: 0.7, "the first part ends at the cap")
        XCTAssertTrue(parts[0].reason?.contains("10 s") ?? false, parts[0].reason ?? "")
        let gap = parts[1].startDate.timeIntervalSince(parts[0].endDate!)
        XCTAssertLessThan(gap, 1, "the next part starts within a second")
        XCTAssertTrue(parts.allSatisfy { $0.name.hasSuffix(" - Long lecture") && $0.initiator == "schedule" })
        XCTAssertEqual(parts[1].endDate!.timeIntervalSince(end), 0, accuracy: 1.5, "the last part ends with the booking")
        try await daemon.stop()
    }

    func testAClassInterruptedByACrashIsRecoveredAndGoesOnInANewPart() async throws {
        let daemon = try DaemonProcess(sections: Self.classRunningNow(title: "Crash course").section)
        try await daemon.start()
        let running = try await waitForRecording(daemon)
        let first = try XCTUnwrap(running, daemon.log())
        try await Task.sleep(for: .seconds(3))
        _ = try await daemon.stop(signal: SIGKILL)

        try await daemon.start()
        let resumed = try await waitForRecording(daemon)
        let second = try XCTUnwrap(resumed, "the class goes on after the restart; \(daemon.log())")
        XCTAssertNotEqual(second.recordingId, first.recordingId, "a new part")
        XCTAssertTrue(second.name.hasSuffix(" - Crash course"), second.name)
        var recovered: Recording?
        for _ in 0..<100 {
            recovered = try await daemon.client.send("GET", "/v1/recordings/\(first.recordingId)").decode(Recording.self)
            if recovered?.status == .recovered { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(recovered?.status, .recovered, "the part cut by the crash is made playable and kept")
        XCTAssertEqual(recovered?.duration ?? 0, 3, accuracy: 1.5, "it covers what was recorded up to its last fragment")
        XCTAssertNotNil(recovered?.endDate)
        try await daemon.stop()
    }

    /// An iCalendar feed served over HTTP on 127.0.0.1 by Python's http.server.
    private final class FeedServer {
        let directory: TemporaryDirectory
        let process = Process()
        let port = LoopbackPort.free()
        var url: String { "http://127.0.0.1:\(port)/room.ics" }

        /// Serves one VEVENT per `(uid, start, end, summary)`, with the lines of `extra` for its UID (an RRULE).
        init(events: [(uid: String, start: Date, end: Date, summary: String)], extra: [String: [String]] = [:]) async throws {
            directory = try TemporaryDirectory(prefix: "feed")
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            var lines = ["BEGIN:VCALENDAR", "VERSION:2.0"]
            for event in events {
                lines += ["BEGIN:VEVENT", "UID:\(event.uid)", "DTSTART:\(formatter.string(from: event.start))"]
                lines += ["DTEND:\(formatter.string(from: event.end))", "SUMMARY:\(event.summary)"]
                lines += (extra[event.uid] ?? []) + ["END:VEVENT"]
            }
            lines += ["END:VCALENDAR", ""]
            try lines.joined(separator: "\r\n").write(toFile: "\(directory.path)/room.ics", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", directory.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(500))
        }

        /// SIGKILL: a child of the test process inherits its blocked SIGTERM.
        func kill() {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { kill() }
    }

    func testACalendarEventStartingSoonIsRecordedFromItsStartToItsEnd() async throws {
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 5).rounded(.up))
        let end = start.addingTimeInterval(6)
        let feed = try await FeedServer(events: [("seminar-7@example.edu", start, end, "Seminar: Wave optics")])
        let daemon = try DaemonProcess(sections: "[schedule]\ncalendar_url = \"\(feed.url)\"\ncalendar_poll_seconds = 1")
        try await daemon.start()
        let current = try await waitForRecording(daemon, attempts: 100)
        let recording = try XCTUnwrap(current, daemon.log())
        XCTAssertTrue(recording.name.hasSuffix(" - Seminar: Wave optics"), recording.name)
        XCTAssertEqual(recording.startDate.timeIntervalSince(start), 0, accuracy: 1, "started on time")

        let job = try await daemon.client.waitForUpload(of: recording.recordingId, context: daemon.log()) { $0.state == .done }
        let finished = try await daemon.client.send("GET", "/v1/recordings/\(recording.recordingId)").decode(Recording.self)
        XCTAssertEqual(finished.status, .complete)
        XCTAssertEqual(try XCTUnwrap(finished.endDate).timeIntervalSince(end), 0, accuracy: 1, "stopped on time")
        XCTAssertEqual(try FFprobe.run(try XCTUnwrap(job.remoteId)).duration, 6, accuracy: 1)
        print("feed event: started \(recording.startDate.timeIntervalSince(start)) s, ended \(finished.endDate!.timeIntervalSince(end)) s from the event's times")
        try await daemon.stop()
    }

    /// A class running over: `extend` moves the end of its recording; a manual recording has no end to move.
    func testAScheduledRecordingIsExtendedAndAManualOneCannotBe() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let end = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 60).rounded(.up))
        _ = try await daemon.client.send("POST", "/v1/schedule", json: Data(#"{"title": "Running over", "end": "\#(ISO8601.string(end))", "start": "\#(ISO8601.string(Date()))"}"#.utf8))
        let current = try await waitForRecording(daemon)
        XCTAssertEqual(current?.initiator, "schedule")

        let refused = try await daemon.client.send("POST", "/v1/recordings/current/extend", json: Data(#"{"minutes": 7}"#.utf8))
        XCTAssertEqual(refused.status, 400)
        let extended = try await daemon.client.send("POST", "/v1/recordings/current/extend", json: Data(#"{"minutes": 10}"#.utf8))
        XCTAssertEqual(extended.status, 200, String(decoding: extended.body, as: UTF8.self))
        let answer = try extended.decode(RecordingExtension.self)
        XCTAssertEqual(answer.end.timeIntervalSince(end), 600, accuracy: 1)
        XCTAssertEqual(answer.recordingId, current?.recordingId)
        let again = try await daemon.client.send("POST", "/v1/recordings/current/extend", json: Data(#"{"minutes": 5}"#.utf8)).decode(RecordingExtension.self)
        XCTAssertEqual(again.end.timeIntervalSince(end), 900, accuracy: 1, "extensions add up")
        let status = try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self)
        XCTAssertEqual(status.current?.recordingId, current?.recordingId, "the same recording goes on")

        _ = try await daemon.client.send("POST", "/v1/recordings/current/stop")
        for _ in 0..<50 where try await daemon.client.send("GET", "/v1/status").decode(StatusReport.self).current != nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await daemon.client.send("POST", "/v1/recordings", json: Data(#"{"title": "By hand"}"#.utf8))
        // The schedule looks four times a second: the booking a person stopped must not adopt this one meanwhile.
        try await Task.sleep(for: .milliseconds(800))
        let manual = try await daemon.client.send("POST", "/v1/recordings/current/extend", json: Data(#"{"minutes": 5}"#.utf8))
        XCTAssertEqual(manual.status, 409)
        XCTAssertTrue(String(decoding: manual.body, as: UTF8.self).contains("started by hand"), String(decoding: manual.body, as: UTF8.self))
        try await daemon.stop()
    }

    /// The feed that made the old engine refuse a whole calendar: a monthly meeting on the first Wednesday
    /// (`BYDAY=1WE`) and an event with a rule no engine reads, next to a weekly class.
    func testAMonthlyMeetingAndABrokenEventDoNotCostTheWeeklyClass() async throws {
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.up))
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let nextMonth = utc.date(from: utc.dateComponents([.year, .month], from: utc.date(byAdding: .month, value: 1, to: Date())!))!
        let firstWednesday = (0..<7).map { utc.date(byAdding: .day, value: $0, to: nextMonth)! }.first { utc.component(.weekday, from: $0) == 4 }!
        let meeting = firstWednesday.addingTimeInterval(15 * 3600)
        let feed = try await FeedServer(events: [
            ("class@example.edu", start, start.addingTimeInterval(6), "Weekly class"),
            ("staff@example.edu", meeting, meeting.addingTimeInterval(3600), "Staff meeting"),
            ("broken@example.edu", start.addingTimeInterval(3600), start.addingTimeInterval(7200), "Broken"),
        ], extra: ["class@example.edu": ["RRULE:FREQ=WEEKLY"], "staff@example.edu": ["RRULE:FREQ=MONTHLY;BYDAY=1WE"],
                   "broken@example.edu": ["RRULE:FREQ=SOMETIMES"]])
        let daemon = try DaemonProcess(sections: "[schedule]\ncalendar_urls = [\"\(feed.url)\"]\ncalendar_poll_seconds = 1")
        try await daemon.start()

        var upcoming: [UpcomingRecording] = []
        for _ in 0..<50 {
            upcoming = try await daemon.client.send("GET", "/v1/schedule/upcoming?to=\(ISO8601.string(meeting.addingTimeInterval(86400)))")
                .decode(UpcomingList.self).recordings
            if !upcoming.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(upcoming.first?.title, "Weekly class", "\(upcoming)")
        XCTAssertEqual(upcoming.first?.source, "calendar:127.0.0.1")
        XCTAssertEqual(upcoming.filter { $0.title == "Staff meeting" }.map(\.start), [meeting], "\(upcoming)")
        XCTAssertGreaterThanOrEqual(upcoming.filter { $0.title == "Weekly class" }.count, 4, "every week up to the meeting")
        XCTAssertTrue(upcoming.allSatisfy { $0.willRecord && $0.title != "Broken" }, "\(upcoming)")
        XCTAssertTrue(daemon.log().contains("broken@example.edu"), "the skipped event is named; \(daemon.log())")

        let current = try await waitForRecording(daemon, attempts: 120)
        let recording = try XCTUnwrap(current, daemon.log())
        XCTAssertTrue(recording.name.hasSuffix(" - Weekly class"), recording.name)
        XCTAssertEqual(recording.startDate.timeIntervalSince(start), 0, accuracy: 1, "started on time")
        try await daemon.stop()
    }

    func testACalendarFeedEventIsRecordedAndTheFeedOutlivesANetworkOutageAndARestart() async throws {
        let now = Date()
        let feed = try await FeedServer(events: [("lecture-1@example.edu", now.addingTimeInterval(-60), now.addingTimeInterval(300), "Feed lecture")])
        let daemon = try DaemonProcess(sections: """
            [schedule]
            calendar_url = "\(feed.url)"
            calendar_poll_seconds = 1
            """)
        try await daemon.start()
        let current = try await waitForRecording(daemon)
        XCTAssertTrue(current?.name.hasSuffix(" - Feed lecture") ?? false, "\(String(describing: current?.name)); \(daemon.log())")
        XCTAssertEqual(current?.initiator, "schedule")
        let listed = try await daemon.client.send("GET", "/v1/schedule").decode(Bookings.self).bookings
        XCTAssertEqual(listed.map(\.createdBy), ["calendar:127.0.0.1"])
        let kept = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory).filter { $0.hasPrefix("calendar-") && $0.hasSuffix(".ics") }
        XCTAssertEqual(kept.count, 1, "the feed is kept on disk")

        // The network goes, then the daemon restarts: the copy on disk keeps the class recorded.
        feed.kill()
        _ = try await daemon.stop()
        try await daemon.start()
        let again = try await waitForRecording(daemon)
        XCTAssertTrue(again?.name.hasSuffix(" - Feed lecture") ?? false, "recorded from the cached feed; \(daemon.log())")
        for _ in 0..<50 where !daemon.log().contains("calendar feed could not be read") { try await Task.sleep(for: .milliseconds(100)) }
        XCTAssertTrue(daemon.log().contains("calendar feed could not be read"), "the outage is logged; \(daemon.log())")
        try await daemon.stop()
    }

    /// A `[schedule]` section whose one class, titled `title`, runs from this minute (UTC) for three minutes, and
    /// today's date as the class's booking id names it.
    private static func classRunningNow(title: String) -> (section: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: Date())
        let start = parts.hour! * 60 + parts.minute!
        let end = min(start + 3, 24 * 60)
        let section = """
            [schedule]
            time_zone = "UTC"
            pre_roll_minutes = 0
            post_roll_minutes = 0
            [[schedule.class]]
            title = "\(title)"
            days = ["\(["sun", "mon", "tue", "wed", "thu", "fri", "sat"][parts.weekday! - 1])"]
            start = "\(String(format: "%02d:%02d", start / 60, start % 60))"
            end = "\(String(format: "%02d:%02d", end / 60, end % 60))"
            """
        return (section, String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!))
    }

    /// The recording in progress, once there is one (`attempts` looks 100 ms apart at most).
    private func waitForRecording(_ daemon: DaemonProcess, attempts: Int = 50) async throws -> Recording? {
        try await daemon.waitForRecording(attempts: attempts)
    }

    func testABookingAdoptsAManualRecordingAndStopsItAtItsEnd() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let client = daemon.client
        let manual = try await client.send("POST", "/v1/recordings", json: try body(["title": "Started by hand"])).decode(Recording.self)
        let added = try await client.send("POST", "/v1/schedule", json: try body(["start": iso(Date()), "end": iso(Date().addingTimeInterval(2))]))
        XCTAssertEqual(added.status, 201)
        var state = StatusReport.State.recording
        for _ in 0..<60 where state == .recording {
            try await Task.sleep(for: .milliseconds(100))
            state = try await client.send("GET", "/v1/status").decode(StatusReport.self).state
        }
        XCTAssertEqual(state, .idle, "the adopted recording stops when the booking ends")
        struct Page: Decodable { var recordings: [Recording] }
        let recordings = try await client.send("GET", "/v1/recordings").decode(Page.self).recordings
        XCTAssertEqual(recordings.map(\.recordingId), [manual.recordingId], "one recording, not two")
        try await daemon.stop()
    }

    func testBookingsAreValidatedAndRemoved() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let client = daemon.client
        let bad: [[String: Any]] = [
            ["durationMinutes": true], ["durationMinutes": 0], ["durationMinutes": 10, "end": iso(Date() + 3600)],
            ["start": "tomorrow"], ["start": iso(Date() - 7200), "end": iso(Date() - 3600)], ["start": iso(Date() + 600), "end": iso(Date() + 60)],
            ["title": 5], ["title": "   "], ["room": "x"],
        ]
        for fields in bad {
            let response = try await client.send("POST", "/v1/schedule", json: try body(fields))
            XCTAssertEqual(response.status, 400, "\(fields)")
        }
        let empty = try await client.send("GET", "/v1/schedule").decode(Bookings.self).bookings
        XCTAssertTrue(empty.isEmpty, "refused bookings change nothing")

        // The default frame: an hour from the next quarter hour, titled after the room.
        let defaulted = try await client.send("POST", "/v1/schedule").decode(Booking.self)
        XCTAssertEqual(defaulted.end.timeIntervalSince(defaulted.start), 3600)
        XCTAssertEqual(Calendar.current.component(.minute, from: defaulted.start) % 15, 0)
        XCTAssertGreaterThan(defaulted.start, Date())
        XCTAssertEqual(defaulted.title, "Room 101")
        let ctl = try ProcessRunner.run("\(DaemonProcess.binDirectory)/roomrecctl", ["schedule", "ls", "--socket", daemon.socketPath])
        XCTAssertTrue(ctl.stdout.contains("Room 101"), ctl.stdout)
        do { let status = try await client.send("DELETE", "/v1/schedule/\(defaulted.bookingId)").status; XCTAssertEqual(status, 204) }
        do { let status = try await client.send("DELETE", "/v1/schedule/\(defaulted.bookingId)").status; XCTAssertEqual(status, 404) }
        try await daemon.stop()
    }
}
