import Foundation
import RecorderCore

/// The control API's routes (`docs/control-api.md`), each translating one request into one call of the
/// ``ControlService`` and its result into JSON.
public enum ControlRoutes {
    public static func router(for service: any ControlService) -> Router {
        var router = Router()
        router.add("GET", "/v1/status") { _ in
            .json(await service.status())
        }
        router.add("POST", "/v1/recordings") { request in
            do throws(ControlError) {
                let start = try decodeStartRequest(request.body)
                let recording = try await service.startRecording(start, caller: request.caller)
                return .json(recording, status: 201, headers: [("Location", "/v1/recordings/\(recording.recordingId)")])
            } catch {
                return .error(error)
            }
        }
        router.add("POST", "/v1/recordings/current/stop") { request in
            do throws(ControlError) {
                try requireEmptyBody(request.body)
                return .json(try await service.stopCurrentRecording(caller: request.caller), status: 202)
            } catch {
                return .error(error)
            }
        }
        router.add("GET", "/v1/recordings") { _ in
            do throws(ControlError) {
                return .json(RecordingList(recordings: try await service.recordings()))
            } catch {
                return .error(error)
            }
        }
        router.add("GET", "/v1/recordings/{id}") { request in
            do throws(ControlError) {
                return .json(try await service.recording(id: request.pathParameters["id"] ?? ""))
            } catch {
                return .error(error)
            }
        }
        router.add("GET", "/v1/uploads") { _ in
            do throws(ControlError) {
                return .json(UploadList(uploads: try await service.uploads()))
            } catch {
                return .error(error)
            }
        }
        return router
    }

    /// `GET /v1/recordings` body.
    public struct RecordingList: Codable, Sendable {
        public var recordings: [Recording]
    }

    /// `GET /v1/uploads` body.
    public struct UploadList: Codable, Sendable {
        public var uploads: [UploadJob]
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
}
