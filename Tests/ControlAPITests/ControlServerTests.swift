import ControlAPI
import ControlClient
import ControlContract
import Foundation
import Logging
import RecorderCore
import Synchronization
import TestSupport
import XCTest

/// The HTTP layer over a real Unix socket, in front of a small in-memory service: status codes, problem
/// bodies, routing and peer credentials.
final class ControlServerTests: XCTestCase {
    actor MemoryService: ControlService {
        init() {}
        /// The recording in progress, also read by `status()`, which does not wait for the actor.
        private let recordingNow = Mutex<Recording?>(nil)
        var current: Recording? {
            get { recordingNow.withLock { $0 } }
            set { recordingNow.withLock { $0 = newValue } }
        }
        var all: [Recording] = []
        var callers: [Caller] = []

        nonisolated func status() -> StatusReport {
            let current = recordingNow.withLock { $0 }
            return StatusReport(state: current == nil ? .idle : .recording, version: "test", uptimeSeconds: 1,
                         room: RoomSummary(id: "r", title: "R", type: .single, owner: nil), current: current, elapsedSeconds: nil,
                         devices: [], encoder: EncoderSummary(video: "v", audio: "a"), disk: nil, queue: QueueSummary(counts: [:]))
        }

        func startRecording(_ request: StartRecordingRequest, caller: Caller) async throws(ControlError) -> Recording {
            callers.append(caller)
            guard current == nil else { throw .conflict("already recording") }
            let recording = Recording(recordingId: "rec-\(all.count + 1)", roomId: "r", title: request.title ?? "R", name: "n", filename: "f",
                                      status: .active, owner: nil, initiator: nil, startDate: Date(), path: "/x")
            current = recording
            all.append(recording)
            return recording
        }

        func stopRecording(id: String?, caller: Caller) async throws(ControlError) -> Recording {
            guard var recording = current, id == nil || id == recording.recordingId else { throw .conflict("no recording is active") }
            recording.status = .ending
            current = nil
            return recording
        }

        func recordings(_ query: RecordingQuery) async throws(ControlError) -> RecordingPage {
            RecordingPage(recordings: Array(all.prefix(query.maxItems)), isTruncated: all.count > query.maxItems, nextPageToken: nil,
                          maxItems: query.maxItems)
        }

        func deleteRecording(id: String, caller: Caller) async throws(ControlError) {
            guard all.contains(where: { $0.recordingId == id }) else { throw .notFound("no recording \(id)") }
            all.removeAll { $0.recordingId == id }
        }
        func recording(id: String) async throws(ControlError) -> Recording {
            guard let found = all.first(where: { $0.recordingId == id }) else { throw .notFound("no recording \(id)") }
            return found
        }
        func uploads() async throws(ControlError) -> [UploadJob] { [] }
        func applyUploadAction(_ action: UploadAction, jobId: String, caller: Caller) async throws(ControlError) -> UploadJob {
            throw .notFound("no upload job \(jobId)")
        }
        func devices() async -> [DeviceInfo] { [] }
        func upload(id: String) async throws(ControlError) -> UploadJobDetail { throw .notFound("no upload job \(id)") }
        func pauseUploads(_ paused: Bool, caller: Caller) async -> Bool { paused }
        func health() async -> HealthReport { HealthReport(checks: ["catalog": "ok"]) }
        func reloadConfiguration(caller: Caller) async throws(ControlError) -> ReloadReport { ReloadReport(applied: [], restartNeeded: []) }
        func restartWhenIdle(caller: Caller) async throws(ControlError) -> RestartPlan { RestartPlan(restart: "now", recordingId: nil) }
        nonisolated let hub = EventHub()
        func events(types: Set<ControlEvent.Kind>?) async -> AsyncStream<ControlEvent> { hub.subscribe(types: types) }
        func schedule() async throws(ControlError) -> [Booking] { [] }
        func upcoming(_ window: UpcomingWindow) async throws(ControlError) -> [UpcomingRecording] {
            [UpcomingRecording(start: window.from, end: window.from.addingTimeInterval(3600), title: "Physics", source: "timetable", willRecord: true)]
        }
        func extendRecording(_ request: ExtendRequest, caller: Caller) async throws(ControlError) -> RecordingExtension {
            throw .conflict("no recording is in progress")
        }
        func addBooking(_ request: BookingRequest, caller: Caller) async throws(ControlError) -> Booking {
            Booking(bookingId: "b", title: request.title ?? "R", start: Date(), end: Date() + 60, createdBy: nil, createdAt: Date())
        }
        func removeBooking(id: String, caller: Caller) async throws(ControlError) { throw .notFound("no booking \(id)") }
        func metrics() async -> [Metric] { [Metric("roomrec_test", .gauge, "A \"test\" metric.", samples: [(["path": "a\"b"], 1.5)])] }
    }

    private var directory: TemporaryDirectory!
    private var serverTask: Task<Void, Error>!
    private var service: MemoryService!
    private var client: ControlClient!

    override func setUp() async throws {
        directory = try TemporaryDirectory()
        let socket = "\(directory.path)/control.sock"
        service = MemoryService()
        let server = ControlServer(router: ControlRoutes.router(for: service), access: AccessPolicy(adminGroups: [], operatorGroups: []),
                                   logger: Logger(label: "test"))
        let (ready, continuation) = AsyncStream.makeStream(of: Void.self)
        serverTask = Task { try await server.run(.path(socket, mode: 0o660)) { continuation.yield() } }
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()
        client = ControlClient(socketPath: socket)
    }

    override func tearDown() async throws {
        serverTask.cancel()
        _ = await serverTask.result
        directory = nil  // XCTest keeps test case objects until the run ends
    }

    func testSocketFileHasTheConfiguredMode() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: client.socketPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o660)
    }

    func testStartAnswers201WithLocationAndTheCallersCredentials() async throws {
        let response = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "  Physics 101 "}"#.utf8))
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.header("Location"), "/v1/recordings/rec-1")
        XCTAssertEqual(try response.decode(Recording.self).title, "Physics 101")
        let callers = await service.callers
        XCTAssertEqual(callers.first?.uid, getuid())
        XCTAssertEqual(callers.first?.pid, getpid())
    }

    func testTheLocationOfANewRecordingAnswers() async throws {
        let start = try await client.send("POST", "/v1/recordings")
        let location = try XCTUnwrap(start.header("Location"))
        let fetched = try await client.send("GET", location)
        XCTAssertEqual(fetched.status, 200)
        XCTAssertEqual(try fetched.decode(Recording.self).recordingId, "rec-1")
        let missing = try await client.send("GET", "/v1/recordings/nope")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.problem?.detail, "no recording nope")
    }

    func testASecondStartIs409WithAProblemBody() async throws {
        _ = try await client.send("POST", "/v1/recordings")
        let response = try await client.send("POST", "/v1/recordings")
        XCTAssertEqual(response.status, 409)
        XCTAssertEqual(response.header("Content-Type"), "application/problem+json")
        XCTAssertEqual(response.problem?.status, 409)
        XCTAssertEqual(response.problem?.detail, "already recording")
        let count = await service.all.count
        XCTAssertEqual(count, 1)
    }

    func testMalformedRequestsAre400AndChangeNothing() async throws {
        for body in ["{not json", "[1, 2]", #"{"titel": "typo"}"#, #"{"title": 5}"#, #"{"title": "   "}"#] {
            let response = try await client.send("POST", "/v1/recordings", json: Data(body.utf8))
            XCTAssertEqual(response.status, 400, body)
            XCTAssertEqual(response.problem?.status, 400, body)
        }
        let stop = try await client.send("POST", "/v1/recordings/current/stop", json: Data(#"{"force": true}"#.utf8))
        XCTAssertEqual(stop.status, 400)
        let recordings = await service.all
        XCTAssertTrue(recordings.isEmpty)
    }

    func testAMoveNamesItsRoomOrIs400() async throws {
        for body in [#"{"room": true}"#, #"{"room": 0}"#, #"{"room": " "}"#, #"{"room": 5678, "name": 7}"#, #"{"room": 5678, "group": "A"}"#, "{}"] {
            let response = try await client.send("POST", "/v1/session/room", json: Data(body.utf8))
            XCTAssertEqual(response.status, 400, body)
        }
        for body in [#"{"room": 5678}"#, #"{"room": "5678", "name": "Group A"}"#, #"{"room": 1, "name": ""}"#] {
            let response = try await client.send("POST", "/v1/session/room", json: Data(body.utf8))
            XCTAssertEqual(response.status, 409, "read, and refused by a daemon without a session: \(body)")
        }
    }

    func testAnOversizedBodyIs413AndChangesNothing() async throws {
        let body = Data(#"{"title": ""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: ControlServer.maxBodyBytes) + Data(#""}"#.utf8)
        let response = try await client.send("POST", "/v1/recordings", json: body)
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(response.problem?.status, 413)
        let recordings = await service.all
        XCTAssertTrue(recordings.isEmpty)
    }

    func testUnknownPathsAre404AndWrongMethods405() async throws {
        let missing = try await client.send("GET", "/v1/nothing-here")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.problem?.title, "Not Found")
        let wrong = try await client.send("DELETE", "/v1/status")
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.header("Allow"), "GET")
    }

    func testStopAnswers202ThenConflictsWhenNothingRuns() async throws {
        _ = try await client.send("POST", "/v1/recordings")
        let stop = try await client.send("POST", "/v1/recordings/current/stop")
        XCTAssertEqual(stop.status, 202)
        XCTAssertEqual(try stop.decode(Recording.self).status, .ending)
        let again = try await client.send("POST", "/v1/recordings/current/stop")
        XCTAssertEqual(again.status, 409)
    }

    func testListsAndStatusAreJSON() async throws {
        _ = try await client.send("POST", "/v1/recordings", json: Data(#"{"title": "A"}"#.utf8))
        struct List: Decodable { var recordings: [Recording] }
        let list = try await client.send("GET", "/v1/recordings?maxItems=10")
        XCTAssertEqual(try list.decode(List.self).recordings.map(\.title), ["A"])
        let status = try await client.send("GET", "/v1/status")
        XCTAssertEqual(try status.decode(StatusReport.self).state, .recording)
        let uploads = try await client.send("GET", "/v1/uploads")
        XCTAssertEqual(uploads.status, 200)
    }

    /// Status is answered on the event loop that reads it; on a kept-alive connection it takes its turn with the
    /// requests answered by the connection's task, before and after them.
    func testStatusTakesItsTurnWithOtherRequestsOnOneConnection() async throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in client.socketPath.utf8.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(connected, 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        /// Sends one request and reads its whole response (its head says how long the body is).
        func exchange(_ request: String) -> String {
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            var answer = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let text = String(decoding: answer, as: UTF8.self)
                if let split = text.range(of: "\r\n\r\n"),
                   let length = text[..<split.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") })
                    .flatMap({ Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }),
                   answer.count - text[..<split.upperBound].utf8.count >= length { return text }
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { return String(decoding: answer, as: UTF8.self) }
                answer.append(contentsOf: buffer[0..<count])
            }
        }
        let body = #"{"title": "Kept alive"}"#
        let answers = [
            exchange("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"),
            exchange("POST /v1/recordings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"),
            exchange("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"),
            exchange("GET /v1/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n"),
            exchange("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]
        XCTAssertEqual(answers.map { $0.components(separatedBy: "\r\n").first ?? "" },
                       ["HTTP/1.1 200 OK", "HTTP/1.1 201 Created", "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"], "\(answers)")
        XCTAssertTrue(answers[0].contains(#""state" : "idle""#), answers[0])
        XCTAssertTrue(answers[2].contains(#""state" : "recording""#), "the status after the start sees it; \(answers[2])")
        XCTAssertTrue(answers[4].contains("Connection: keep-alive"), answers[4])
    }

    func testAnUnreachableSocketGivesAClearError() async throws {
        do {
            _ = try await ControlClient(socketPath: "\(directory.path)/none.sock").send("GET", "/v1/status")
            XCTFail("expected an error")
        } catch let error as ControlClient.ConnectionError {
            XCTAssertTrue(error.description.contains("none.sock"), error.description)
        }
    }
}
