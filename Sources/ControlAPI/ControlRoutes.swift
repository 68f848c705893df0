import ControlContract
import Foundation
import RecorderCore

/// The control API's routes (`docs/control-api.yaml`), each translating one request into calls of the
/// ``ControlService`` and the result into JSON, with the least role that may call it.
public enum ControlRoutes {
    public static func router(for service: any ControlService) -> Router {
        var router = Router()

        router.addImmediate("GET", "/v1/status", role: .viewer) { _ in
            .json(service.status())
        }

        // Recordings
        router.add("POST", "/v1/recordings", role: .operator) { request in
            await respond { () throws(ControlError) in
                let start = try decodeStartRequest(request.body)
                let recording = try await service.startRecording(start, caller: request.caller)
                return .json(recording, status: 201, headers: [("Location", "/v1/recordings/\(recording.recordingId)")])
            }
        }
        router.add("POST", "/v1/recordings/current/stop", role: .operator) { request in
            await respond { () throws(ControlError) in
                try requireEmptyBody(request.body)
                return .json(try await service.stopRecording(id: nil, caller: request.caller), status: 202)
            }
        }
        router.add("POST", "/v1/recordings/current/extend", role: .operator) { request in
            await respond { () throws(ControlError) in
                .json(try await service.extendRecording(try decodeExtendRequest(request.body), caller: request.caller))
            }
        }
        router.add("POST", "/v1/recordings/{id}/stop", role: .operator) { request in
            await respond { () throws(ControlError) in
                try requireEmptyBody(request.body)
                return .json(try await service.stopRecording(id: request.pathParameters["id"], caller: request.caller), status: 202)
            }
        }
        router.add("GET", "/v1/recordings", role: .operator) { request in
            await respond { .json(try await service.recordings(try RecordingQuery.parse(request.query))) }
        }
        router.add("GET", "/v1/recordings/{id}", role: .operator) { request in
            await respond { () throws(ControlError) in .json(try await service.recording(id: request.pathParameters["id"] ?? "")) }
        }
        router.add("DELETE", "/v1/recordings/{id}", role: .admin) { request in
            await respond { () throws(ControlError) in
                try await service.deleteRecording(id: request.pathParameters["id"] ?? "", caller: request.caller)
                return ControlResponse(status: 204)
            }
        }
        router.add("DELETE", "/v1/recordings", role: .admin) { request in
            await respond { () throws(ControlError) in
                let ids = try recordingIds(request.query)
                var result = BulkDeleteResult(deleted: [], failed: [])
                for id in ids {
                    do throws(ControlError) {
                        try await service.deleteRecording(id: id, caller: request.caller)
                        result.deleted.append(id)
                    } catch {
                        result.failed.append(.init(recordingId: id, error: error.problem.detail))
                    }
                }
                return .json(result, status: result.failed.isEmpty ? 200 : 400)
            }
        }
        router.add("GET", "/v1/recordings/download", role: .operator) { request in
            await respond { () throws(ControlError) in
                var entries: [ZipStream.Entry] = []
                var names: Set<String> = []
                for id in try recordingIds(request.query) {
                    let recording = try await service.recording(id: id)
                    guard !recording.status.isInProgress, recording.workingPath == nil else {
                        throw .conflict("recording \(id) is \(recording.status.rawValue); its file is not finished yet")
                    }
                    var info = stat()
                    guard stat(recording.path, &info) == 0 else { throw .notFound("the file of recording \(id) is missing: \(recording.path)") }
                    var name = recording.filename
                    var n = 2
                    while names.contains(name) { name = RecordingName.numbered(recording.filename, n); n += 1 }
                    names.insert(name)
                    entries.append(.init(name: name, path: recording.path, size: Int64(info.st_size),
                                         modified: recording.endDate ?? recording.startDate))
                }
                let archive = entries
                return ControlResponse(status: 200, headers: [("Content-Type", "application/zip"),
                                                              ("Content-Disposition", "attachment; filename=\"recordings.zip\"")],
                                       body: .produce { write in
                    try await ZipStream.write(archive, read: { path, offset, length, sink in
                        try await FileChunks.send(path: path, offset: offset, length: length) { try await sink(Data($0.readableBytesView)) }
                    }, to: write)
                })
            }
        }
        router.add("GET", "/v1/recordings/{id}/media", role: .operator) { request in
            await respond { () throws(ControlError) in
                let recording = try await service.recording(id: request.pathParameters["id"] ?? "")
                guard !recording.status.isInProgress, recording.workingPath == nil else {
                    throw .conflict("recording \(recording.recordingId) is \(recording.status.rawValue); its file is not finished yet")
                }
                if let removed = recording.localRemovedAt {
                    throw .notFound("the local copy was removed on \(ISO8601.string(removed)) after delivery; it is in the media library")
                }
                return try MediaResponse.file(at: recording.path, range: request.header("Range"), fileName: recording.filename)
            }
        }

        // Upload queue
        router.add("GET", "/v1/uploads", role: .operator) { _ in
            await respond { () throws(ControlError) in .json(UploadList(uploads: try await service.uploads())) }
        }
        router.add("GET", "/v1/uploads/{id}", role: .operator) { request in
            await respond { () throws(ControlError) in .json(try await service.upload(id: request.pathParameters["id"] ?? "")) }
        }
        router.add("DELETE", "/v1/uploads/{id}", role: .operator) { request in
            await respond { () throws(ControlError) in
                .json(try await service.applyUploadAction(.cancel, jobId: request.pathParameters["id"] ?? "", caller: request.caller))
            }
        }
        for (path, paused) in [("/v1/uploads/pause", true), ("/v1/uploads/resume", false)] {
            router.add("POST", path, role: .operator) { request in
                await respond { () throws(ControlError) in
                    try requireEmptyBody(request.body)
                    return .json(QueueState(paused: await service.pauseUploads(paused, caller: request.caller)))
                }
            }
        }
        for action in UploadAction.allCases {
            router.add("POST", "/v1/uploads/{id}/\(action.rawValue)", role: .operator) { request in
                await respond { () throws(ControlError) in
                    try requireEmptyBody(request.body)
                    return .json(try await service.applyUploadAction(action, jobId: request.pathParameters["id"] ?? "", caller: request.caller))
                }
            }
        }

        // Bookings
        router.add("GET", "/v1/schedule", role: .operator) { _ in
            await respond { () throws(ControlError) in .json(BookingList(bookings: try await service.schedule())) }
        }
        router.add("GET", "/v1/schedule/upcoming", role: .viewer) { request in
            await respond {
                let window = try UpcomingWindow.parse(request.query, now: Date())
                return .json(UpcomingList(from: window.from, to: window.to, recordings: try await service.upcoming(window)))
            }
        }
        router.add("POST", "/v1/schedule", role: .operator) { request in
            await respond { () throws(ControlError) in
                let booking = try await service.addBooking(try decodeBookingRequest(request.body), caller: request.caller)
                return .json(booking, status: 201, headers: [("Location", "/v1/schedule/\(booking.bookingId)")])
            }
        }
        router.add("DELETE", "/v1/schedule/{id}", role: .operator) { request in
            await respond { () throws(ControlError) in
                try await service.removeBooking(id: request.pathParameters["id"] ?? "", caller: request.caller)
                return ControlResponse(status: 204)
            }
        }

        // The online session's rooms
        router.add("POST", "/v1/session/room", role: .operator) { request in
            await respond { () throws(ControlError) in
                let move = try decodeMoveRequest(request.body)
                return .json(try await service.moveSession(to: move.room, name: move.name, caller: request.caller), status: 202)
            }
        }
        router.add("DELETE", "/v1/session/room", role: .operator) { request in
            await respond { () throws(ControlError) in
                try requireEmptyBody(request.body)
                return .json(try await service.moveSession(to: nil, name: nil, caller: request.caller), status: 202)
            }
        }

        // The room computer
        router.add("GET", "/v1/devices", role: .viewer) { _ in
            .json(DeviceList(devices: await service.devices()))
        }
        router.add("GET", "/v1/health", role: .viewer) { _ in
            let report = await service.health()
            return .json(report, status: report.status == "failing" ? 503 : 200)
        }
        router.add("POST", "/v1/config/reload", role: .admin) { request in
            await respond { () throws(ControlError) in
                try requireEmptyBody(request.body)
                return .json(try await service.reloadConfiguration(caller: request.caller))
            }
        }
        router.add("POST", "/v1/restart", role: .admin) { request in
            await respond { () throws(ControlError) in
                try requireEmptyBody(request.body)
                return .json(try await service.restartWhenIdle(caller: request.caller), status: 202)
            }
        }
        router.add("GET", "/v1/events", role: .viewer) { request in
            await respond { () throws(ControlError) in
                var types = try eventTypes(request.query)
                // A viewer (the room panel) follows levels, recordings, alarms and warnings; the rest is for operators.
                if request.caller.role < .operator {
                    guard types.map({ $0.isSubset(of: viewerEventTypes) }) ?? true else {
                        throw .forbidden("a viewer may follow only types=\(viewerEventTypes.map(\.rawValue).sorted().joined(separator: ",")) on GET /v1/events")
                    }
                    types = types ?? viewerEventTypes.subtracting([.levels])
                }
                return ServerSentEvents.response(await service.events(types: types))
            }
        }
        router.addImmediate("GET", "/v1/levels", role: .viewer) { _ in
            .json(service.levels())
        }
        router.add("GET", "/v1/preview.jpg", role: .viewer) { request in
            await respond { () throws(ControlError) in
                let source = request.query["source"] ?? "stage"
                let width = try request.query["width"].map { text throws(ControlError) -> Int in
                    guard let width = Int(text), (16...1920).contains(width) else { throw .badRequest("width must be a number of pixels from 16 to 1920") }
                    return width
                } ?? 640
                return ControlResponse(status: 200, headers: [("Content-Type", "image/jpeg"), ("Cache-Control", "no-store")],
                                       body: try await service.preview(source: source, width: width))
            }
        }
        PanelRoutes.add(to: &router)
        router.add("GET", "/metrics", role: .viewer) { _ in
            ControlResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                            body: Data(PrometheusText.render(await service.metrics()).utf8))
        }
        return router
    }

    /// What a viewer may follow on `GET /v1/events`.
    static let viewerEventTypes: Set<ControlEvent.Kind> = [.levels, .recording, .alarm, .warning]

    /// `types=levels,recording` of `GET /v1/events`; nil without it.
    static func eventTypes(_ query: [String: String]) throws(ControlError) -> Set<ControlEvent.Kind>? {
        guard let list = query["types"] else { return nil }
        var types = Set<ControlEvent.Kind>()
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let kind = ControlEvent.Kind(rawValue: name) else { throw .badRequest("unknown event type \"\(name)\" in types") }
            types.insert(kind)
        }
        return types
    }

    /// `POST /v1/uploads/pause` and `/resume` body.
    public struct QueueState: Codable, Sendable {
        public var paused: Bool
    }

    /// `GET /v1/schedule` body.
    public struct BookingList: Codable, Sendable {
        public var bookings: [Booking]
    }

    /// Reads a booking request strictly: a JSON object with only `title`, `start`, `end` (ISO 8601) and
    /// `durationMinutes`, each of its type; an empty body books the default time frame.
    static func decodeBookingRequest(_ body: Data) throws(ControlError) -> BookingRequest {
        guard !body.isEmpty else { return BookingRequest() }
        guard let object = try? JSONSerialization.jsonObject(with: body), let fields = object as? [String: Any] else {
            throw .badRequest("the body must be a JSON object, e.g. {\"title\": \"Physics 101\", \"durationMinutes\": 90}")
        }
        let known: Set<String> = ["title", "start", "end", "durationMinutes"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badRequest("unknown field \"\(unknown)\"; the fields are \(known.sorted().joined(separator: ", "))")
        }
        if let null = fields.keys.sorted().first(where: { fields[$0] is NSNull }) {
            throw .badRequest("\"\(null)\" must not be null; leave it out for its default")
        }
        // Typed by JSONDecoder, which refuses `true` or 1.5 where a whole number belongs.
        struct Fields: Decodable {
            var title: String?
            var start: String?
            var end: String?
            var durationMinutes: Int?
        }
        let decoded: Fields
        do {
            decoded = try JSONDecoder().decode(Fields.self, from: body)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.first?.stringValue ?? "body"
            throw .badRequest("\"\(field)\" must be \(field == "durationMinutes" ? "a whole number" : "a string")")
        } catch {
            throw .badRequest("the body cannot be read: \(error)")
        }
        var request = BookingRequest(title: decoded.title, durationMinutes: decoded.durationMinutes)
        for (key, text) in [("start", decoded.start), ("end", decoded.end)] {
            guard let text else { continue }
            guard let date = ISO8601.date(text) else {
                throw .badRequest("\"\(key)\" must be an ISO 8601 date-time such as 2026-09-01T08:15:00+02:00")
            }
            if key == "start" { request.start = date } else { request.end = date }
        }
        return request
    }

    /// `GET /v1/devices` body.
    public struct DeviceList: Codable, Sendable {
        public var devices: [DeviceInfo]
    }

    /// Runs a route body, turning a refusal into its problem response.
    /// The body's response, or the problem its error renders (any ``ProblemRendering``: the contract's
    /// `ControlError`, a request the domain rejected); anything else is a 500 that says what went wrong.
    static func respond(_ body: () async throws -> ControlResponse) async -> ControlResponse {
        do {
            return try await body()
        } catch let error as any ProblemRendering {
            return .problem(error.problem)
        } catch {
            return .problem(Problem(status: 500, title: "Internal Server Error", detail: "\(error)"))
        }
    }

    /// `GET /v1/uploads` body.
    public struct UploadList: Codable, Sendable {
        public var uploads: [UploadJob]
    }

    /// Reads `{"minutes": 5}` (5, 10 or 15), nothing else.
    static func decodeExtendRequest(_ body: Data) throws(ControlError) -> ExtendRequest {
        let example = "the body must be a JSON object such as {\"minutes\": 10}, with 5, 10 or 15"
        guard let object = try? JSONSerialization.jsonObject(with: body), let fields = object as? [String: Any] else { throw .badRequest(example) }
        if let unknown = fields.keys.sorted().first(where: { $0 != "minutes" }) { throw .badRequest("unknown field \"\(unknown)\"; \(example)") }
        guard let request = try? JSONDecoder().decode(ExtendRequest.self, from: body) else { throw .badRequest(example) }
        guard ExtendRequest.allowed.contains(request.minutes) else { throw .badRequest("\"minutes\" must be 5, 10 or 15, got \(request.minutes)") }
        return request
    }

    /// Reads a move request strictly: `room` (a positive number, or a string naming the session's room) and an
    /// optional string `name`. Decoded with `JSONDecoder`, which tells `true` from `1` (`JSONSerialization` on Linux
    /// does not).
    static func decodeMoveRequest(_ body: Data) throws(ControlError) -> (room: String, name: String?) {
        let example = "the body must be a JSON object such as {\"room\": 5678, \"name\": \"Group A\"}"
        guard let object = try? JSONSerialization.jsonObject(with: body), let fields = object as? [String: Any] else { throw .badRequest(example) }
        if let unknown = fields.keys.sorted().first(where: { $0 != "room" && $0 != "name" }) { throw .badRequest("unknown field \"\(unknown)\"; \(example)") }
        struct Move: Decodable {
            var room: Room
            var name: String?
        }
        enum Room: Decodable {
            case number(UInt64)
            case text(String)
            init(from decoder: any Decoder) throws {
                let value = try decoder.singleValueContainer()
                if let number = try? value.decode(UInt64.self) { self = .number(number) } else { self = .text(try value.decode(String.self)) }
            }
        }
        guard let move = try? JSONDecoder().decode(Move.self, from: body) else {
            throw .badRequest("\"room\" must name the room to move to, and \"name\" be a string; \(example)")
        }
        switch move.room {
        case .number(let number) where number > 0: return ("\(number)", move.name)
        case .text(let text) where !text.trimmingCharacters(in: .whitespaces).isEmpty: return (text.trimmingCharacters(in: .whitespaces), move.name)
        default: throw .badRequest("\"room\" must name the room to move to; \(example)")
        }
    }

    /// Reads a start request strictly: an empty body or a JSON object whose only key is a string `title`.
    static func decodeStartRequest(_ body: Data) throws(ControlError) -> StartRecordingRequest {
        guard !body.isEmpty else { return StartRecordingRequest() }
        guard let object = try? JSONSerialization.jsonObject(with: body), let fields = object as? [String: Any] else {
            throw .badRequest("the body must be a JSON object, e.g. {\"title\": \"Physics 101\"}")
        }
        if let unknown = fields.keys.first(where: { $0 != "title" }) {
            throw .badRequest("unknown field \"\(unknown)\"; the only field is \"title\"")
        }
        guard let value = fields["title"] else { return StartRecordingRequest() }
        guard let title = value as? String else { throw .badRequest("\"title\" must be a string") }
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .badRequest("\"title\" must not be empty") }
        guard trimmed.count <= 200 else { throw .badRequest("\"title\" must be at most 200 characters") }
        return StartRecordingRequest(title: trimmed)
    }

    /// Accepts an empty body or `{}`.
    static func requireEmptyBody(_ body: Data) throws(ControlError) {
        if body.isEmpty { return }
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], object.isEmpty { return }
        throw .badRequest("this request takes no body")
    }

    /// The `recordingIds` parameter: a comma-separated list of 1 to 100 ids.
    static func recordingIds(_ query: [String: String]) throws(ControlError) -> [String] {
        if let unknown = query.keys.first(where: { $0 != "recordingIds" }) { throw .badRequest("unknown parameter \"\(unknown)\"") }
        let ids = (query["recordingIds"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !ids.isEmpty else { throw .badRequest("recordingIds must list at least one recording id, e.g. recordingIds=a,b") }
        guard ids.count <= 100 else { throw .badRequest("recordingIds may list at most 100 ids") }
        return ids
    }
}

extension ControlRequest {
    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}
