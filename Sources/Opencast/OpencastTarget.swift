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
            return try await ingest(recording, size: size, report: report)
        } catch let error as OpencastError where !error.isTransient {
            // Refused for a reason a retry will not change until someone acts (credentials, roles, a bad package).
            throw PermanentUploadError(error.description)
        }
    }

    private func ingest(_ recording: Recording, size: Int64, report: @Sendable (UploadCheckpoint) async throws -> Void) async throws -> UploadCheckpoint {
        let key = IngestProgress.key(for: recording)
        var progress = try await store.progress(key) ?? IngestProgress(key: key)
        if let workflow = progress.workflow { return delivered(progress, workflow, size) }
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
        var ingest: URL
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
            let answer = try client.require(try await client.post(url, multipart: form, throttle: throttle, freshen: ingest.appendingPathComponent("createMediaPackage")),
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

    /// Sends the ingest, unless an earlier one whose answer was lost has arrived.
    private func ingestOnce(_ progress: inout IngestProgress, at ingest: URL) async throws -> WorkflowInstance {
        let id = progress.event?.uid ?? progress.key.replacingOccurrences(of: "recording:", with: "")
        let packageID = progress.event?.uid ?? progress.mediaPackage!.id
        let repeated = progress.ingestSent
        if repeated, let arrived = try await arrivedWorkflow(of: packageID) { return arrived }
        progress.ingestSent = true
        try await store.store(progress)

        var fields = [("mediaPackage", progress.mediaPackage!.xml)]
        let definition: String
        var configuration: [String: String]
        if let event = progress.event {
            definition = event.workflowDefinition ?? settings.workflow
            configuration = event.workflowConfiguration
            fields.append(("workflowInstanceId", event.uid))
        } else {
            definition = settings.workflow
            configuration = settings.workflowConfiguration
        }
        if progress.event == nil, id.isEmpty { configuration = [:] }
        fields.append(("workflowDefinitionId", definition))
        fields += configuration.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let url = ingest.appendingPathComponent("ingest")
        let answer = try await client.post(url, form: fields)
        if answer.status == 500, repeated {
            // Opencast refuses a package while an earlier workflow of it runs: the lost ingest did arrive.
            return WorkflowInstance(id: "", state: "RUNNING", mediaPackageID: packageID)
        }
        return try WorkflowInstance(xml: client.require(answer, [200], doing: "ingest the media package", url: url).body)
    }

    /// The workflow of a package that arrived, asked of the workflow service; nil when none or when it cannot
    /// tell (the user lacks ROLE_ADMIN, an Opencast before 12).
    private func arrivedWorkflow(of packageID: String) async throws -> WorkflowInstance? {
        guard let workflows = try? await services.endpoint(.workflow) else { return nil }
        let url = workflows.appendingPathComponent("mediaPackage").appendingPathComponent(packageID).appendingPathComponent("instances.json")
        guard let answer = try? await client.send("GET", url, headers: ["Accept": "application/json"]), answer.status == 200 else { return nil }
        return try WorkflowInstance.list(json: answer.body).last
    }

    private func delivered(_ progress: IngestProgress, _ workflow: WorkflowInstance, _ size: Int64) -> UploadCheckpoint {
        let package = workflow.mediaPackageID ?? progress.mediaPackage?.id ?? progress.key
        return UploadCheckpoint(remoteId: "opencast:\(package)" + (workflow.id.isEmpty ? "" : "/workflow/\(workflow.id)"), bytesConfirmed: size)
    }
}
