import Foundation
import Networking
import RecorderCore
import Uploads

/// Ingests recordings into Opencast as its capture agent does: `createMediaPackage`, the recording's file with
/// `addTrack` (form fields before the file, which Opencast reads in order), for an unscheduled recording an
/// episode catalog, then `ingest` with `workflowInstanceId` = the event's UID and the event's workflow.
///
/// An event recorded in several parts (a crash, the 24-hour cap) is one media package of partial tracks with
/// their start offsets, ingested once every part's track is in: each part's job adds its own file and waits
/// (``UploadDeferred``) until the others are there; whichever comes last ingests. Every step's result is kept
/// (``IngestProgress``); Opencast has no byte-range resume, so an interrupted track upload starts that track
/// again, and after an ingest whose answer was lost Opencast is asked whether the package arrived.
public struct OpencastTarget: UploadTarget {
    public let kind = LibraryTarget.opencast
    let client: OpencastClient
    let services: ServiceDirectory
    let store: any OpencastIngestStore
    let settings: RoomRecorderConfig.Opencast
    let agent: String
    let throttle: Throttle?
    let now: @Sendable () -> Date

    public init(client: OpencastClient, services: ServiceDirectory, store: any OpencastIngestStore, settings: RoomRecorderConfig.Opencast,
                agent: String, throttle: Throttle?, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.services = services
        self.store = store
        self.settings = settings
        self.agent = agent
        self.throttle = throttle
        self.now = now
    }

    public func deliver(_ recording: Recording, from checkpoint: UploadCheckpoint,
                        report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        let size = try fileSize(of: recording)
        do {
            // One package's steps at a time, whichever part's job takes them.
            return try await store.exclusive(IngestProgress.key(for: recording)) {
                try await ingest(recording, size: size, report: report)
            }
        } catch let error as OpencastError where !error.isTransient {
            // Refused for a reason a retry will not change until someone acts (credentials, roles, a bad package).
            throw PermanentUploadError(error.description)
        }
    }

    private func ingest(_ recording: Recording, size: Int64, report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        let key = IngestProgress.key(for: recording)
        var progress = try await store.progress(key) ?? IngestProgress(key: key)
        if let workflow = progress.workflow {
            if progress.tracks[recording.recordingId] != nil { return delivered(progress, workflow, size) }
            throw PermanentUploadError("Opencast event \(key) was ingested (workflow \(workflow.id)) before this part's track was added; "
                                       + "the file stays in the local library: add it to the event in Opencast's admin UI")
        }
        if progress.event == nil, let uid = recording.opencastEventId { progress.event = await store.event(uid) }

        // The parts of the package: only once the event is over is it known how many there are.
        var parts = [recording]
        if let uid = recording.opencastEventId {
            let (all, over) = try await store.parts(ofEvent: uid)
            guard over else {
                // Looked at again soon after the event's end, and at least every minute (it may be stopped early).
                let end = progress.event?.end ?? now() + 60
                throw UploadDeferred("waiting for Opencast event \(uid) to end: more parts of it may be recorded",
                                     until: max(now() + 5, min(end + 5, now() + 60)))
            }
            let delivering: Set<RecordingUploadStatus> = [.queued, .uploading, .uploaded]
            parts = all.filter { $0.recordingId == recording.recordingId || $0.uploadStatus.map(delivering.contains) == true }
            if parts.isEmpty { parts = [recording] }
        }
        // Asked again before each package; a package stays on the node it was made on.
        let ingest: URL
        if let pinned = progress.ingestEndpoint.flatMap(URL.init(string:)) { ingest = pinned } else { ingest = try await services.endpoint(.ingest, refresh: true) }

        // 1. The media package.
        if progress.mediaPackage == nil {
            progress.ingestEndpoint = ingest.absoluteString
            let url = ingest.appendingPathComponent("createMediaPackage")
            let answer = try client.require(try await client.send("GET", url), [200], doing: "create a media package", url: url)
            progress.mediaPackage = try MediaPackage(xml: String(decoding: answer.body, as: UTF8.self))
            try await store.store(progress)
        }
        let packageID = progress.mediaPackage!.id
        try await report(UploadCheckpoint(remoteId: "opencast-package:\(packageID)", bytesConfirmed: 0))

        // 2. This part's track.
        if progress.tracks[recording.recordingId] == nil {
            try await addTrack(of: recording, size: size, parts: parts, to: &progress, at: ingest)
        }
        try await report(UploadCheckpoint(remoteId: "opencast-package:\(packageID)", bytesConfirmed: size))

        // 3. Every part's track before the one ingest.
        let missing = parts.filter { progress.tracks[$0.recordingId] == nil }
        guard missing.isEmpty else {
            throw UploadDeferred("this part's track is in Opencast; the package is ingested once \(missing.count) more part(s) are: "
                                 + missing.map(\.recordingId).joined(separator: ", "), until: now() + 10)
        }

        // 4. An unscheduled recording describes itself; a scheduled event's metadata are Opencast's already.
        if recording.opencastEventId == nil, !progress.catalogAdded {
            let url = ingest.appendingPathComponent("addDCCatalog")
            let episode = DublinCore.episode(title: recording.name, agent: agent, start: recording.startDate,
                                             end: recording.endDate ?? recording.startDate.addingTimeInterval(recording.duration ?? 0))
            let answer = try client.require(try await client.post(url, form: [("mediaPackage", progress.mediaPackage!.xml), ("dublinCore", episode),
                                                                             ("flavor", "dublincore/episode")]),
                                            [200], doing: "take the episode's catalog", url: url)
            progress.mediaPackage = try MediaPackage(xml: String(decoding: answer.body, as: UTF8.self))
            progress.catalogAdded = true
            try await store.store(progress)
        }

        // 5. The ingest, once.
        let workflow = try await ingestOnce(&progress, at: ingest)
        progress.workflow = workflow
        try await store.store(progress)
        return delivered(progress, workflow, size)
    }

    /// Sends a part's file (fields first, the file last), as a partial track with its offset from the first part
    /// when the event has several, and keeps the package Opencast answers.
    private func addTrack(of recording: Recording, size: Int64, parts: [Recording], to progress: inout IngestProgress, at ingest: URL) async throws {
        let partial = parts.count > 1
        let url = ingest.appendingPathComponent(partial ? "addPartialTrack" : "addTrack")
        var form = MultipartForm()
        form.add("mediaPackage", progress.mediaPackage!.xml)
        form.add("flavor", settings.flavor)
        if partial {
            let offset = recording.startDate.timeIntervalSince(parts[0].startDate)
            form.add("startTime", "\(max(0, Int64((offset * 1000).rounded())))")
        }
        form.addFile("BODY", filename: recording.filename, contentType: "video/mp4", content: .file(path: recording.path, offset: 0, length: size))
        let answer = try client.require(try await client.post(url, multipart: form, throttle: throttle, freshen: registry(of: .ingest)),
                                        [200], doing: "take the recording's file (\(url.lastPathComponent))", url: url)
        let grown = try MediaPackage(xml: String(decoding: answer.body, as: UTF8.self))
        let before = Set(progress.mediaPackage!.trackIDs)
        guard let track = grown.trackIDs.first(where: { !before.contains($0) }) else {
            throw OpencastError(status: 0, message: "Opencast took the file but its media package answer lists no new track")
        }
        progress.mediaPackage = grown
        progress.tracks[recording.recordingId] = track
        try await store.store(progress)
    }

    /// A request that needs the user's credentials and changes nothing: the registry's answer for `service`.
    private func registry(of service: ServiceDirectory.Service) -> URL {
        ServiceDirectory.registryURL(of: URL(string: settings.url)!, for: service)
    }

    /// Sends the ingest, unless an earlier one whose answer was lost has arrived. A scheduled event's package is
    /// always bound to it (`workflowInstanceId`); its workflow is the event's, or, when the calendar no longer
    /// lists the event, left to Opencast, which takes the scheduled one.
    private func ingestOnce(_ progress: inout IngestProgress, at ingest: URL) async throws -> WorkflowInstance {
        let eventUID = progress.key.hasPrefix("recording:") ? nil : progress.key
        let packageID = eventUID ?? progress.mediaPackage!.id
        let lostBefore = progress.ingestSent
        var unknowable = false
        if lostBefore {
            switch try await arrivedWorkflow(of: packageID) {
            case .arrived(let workflow): return workflow
            case .notArrived: break
            case .cannotTell: unknowable = true
            }
        }
        var fields = [("mediaPackage", progress.mediaPackage!.xml)]
        if let eventUID {
            fields.append(("workflowInstanceId", eventUID))
            if let definition = progress.event?.workflowDefinition { fields.append(("workflowDefinitionId", definition)) }
            fields += (progress.event?.workflowConfiguration ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        } else {
            fields.append(("workflowDefinitionId", settings.workflow))
            fields += settings.workflowConfiguration.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        // Stored before it is sent: an answer lost from here on (a reset, a kill) is asked about before another.
        progress.ingestSent = true
        try await store.store(progress)
        let url = ingest.appendingPathComponent("ingest")
        let answer: OpencastClient.Response
        do {
            answer = try await client.post(url, form: fields)
        } catch let error as HTTPTransport.NetworkError where !lostBefore {
            // The answer was lost: asked about soon, not after the back-off of a failure.
            throw UploadDeferred("the answer to the ingest was lost (\(error)); Opencast is asked whether the package arrived", until: now() + 5)
        }
        if answer.status == 500, lostBefore, unknowable {
            // Opencast refuses a package while an earlier workflow of it runs: with no way to ask (the user lacks
            // ROLE_ADMIN), that is the lost ingest having arrived.
            return WorkflowInstance(id: "", state: "RUNNING", mediaPackageID: packageID)
        }
        guard answer.status == 200 else {
            // A definite answer: nothing arrived, and the next attempt is a first one.
            progress.ingestSent = false
            try await store.store(progress)
            throw client.error(for: answer, doing: "ingest the media package", url: url)
        }
        return try WorkflowInstance(xml: answer.body)
    }

    private enum Arrival {
        case arrived(WorkflowInstance)
        case notArrived
        /// The user may not ask (403), or the Opencast is older than 12 (404).
        case cannotTell
    }

    /// Whether a package arrived, asked of the workflow service. A failed question (no answer, 5xx) throws, so
    /// the job tries again later instead of ingesting a second time.
    private func arrivedWorkflow(of packageID: String) async throws -> Arrival {
        let workflows = try await services.endpoint(.workflow)
        let url = OpencastClient.url(workflows, appending: ["mediaPackage", packageID, "instances.json"])
        let answer = try await client.send("GET", url, headers: ["Accept": "application/json"])
        switch answer.status {
        case 200: return try WorkflowInstance.list(json: answer.body).last.map(Arrival.arrived) ?? .notArrived
        case 401, 403, 404, 405: return .cannotTell
        default: throw client.error(for: answer, doing: "say whether package \(packageID) arrived", url: url)
        }
    }

    private func delivered(_ progress: IngestProgress, _ workflow: WorkflowInstance, _ size: Int64) -> UploadCheckpoint {
        let package = workflow.mediaPackageID ?? progress.mediaPackage?.id ?? progress.key
        return UploadCheckpoint(remoteId: "opencast:\(package)" + (workflow.id.isEmpty ? "" : "/workflow/\(workflow.id)"), bytesConfirmed: size)
    }
}
