import Foundation
import Opencast
import RecorderCore

extension OpencastAgent {
    /// Puts a recording no Opencast event asked for (`roomrecctl start`, a booking) into Opencast's schedule
    /// (`ad_hoc = "schedule"`), so the admin UI shows it while it records and its ingest is bound to it: a media
    /// package with an episode catalog whose period runs from the recording's start for `ad_hoc_minutes` (ending
    /// before the agent's next event, which Opencast would refuse as a conflict), then `ingest/schedule`. The
    /// event is the recording's: the schedule neither starts nor stops anything for it, so the recording ends when
    /// it is stopped. When Opencast cannot take it, the recording is ingested afterwards as an unscheduled one.
    func scheduleAdHoc(_ recording: Recording, link: Link) async {
        let start = recording.startDate
        var end = start.addingTimeInterval(Double(link.settings.adHocMinutes) * 60)
        if let next = calendar.values.map(\.start).filter({ $0 > start }).min() { end = min(end, next) }
        do {
            let ingest = try await link.services.endpoint(.ingest, refresh: true)
            let create = ingest.appendingPathComponent("createMediaPackage")
            var package = try MediaPackage(xml: String(decoding: try link.client.require(try await link.client.send("GET", create), [200],
                                                                                         doing: "create a media package", url: create).body, as: UTF8.self))
            let catalog = ingest.appendingPathComponent("addDCCatalog")
            let episode = DublinCore.episode(title: recording.title, agent: link.agent, start: start, end: end, identifier: package.id)
            let added = try link.client.require(try await link.client.post(catalog, form: [("mediaPackage", package.xml), ("dublinCore", episode),
                                                                                         ("flavor", "dublincore/episode")]),
                                                [200], doing: "take the ad-hoc recording's catalog", url: catalog)
            package = try MediaPackage(xml: String(decoding: added.body, as: UTF8.self))
            // Kept before it is asked for: whether or not its answer comes back, the event is this recording's,
            // never one for the schedule to start.
            var progress = IngestProgress(key: package.id, event: OpencastEvent(
                uid: package.id, title: recording.title, start: start, end: end,
                properties: ["org.opencastproject.workflow.definition": link.settings.workflow]))
            progress.scheduledByAgent = true
            try await ingestRecords.exclusive(package.id) { [ingestRecords, progress] in try await ingestRecords.store(progress) }
            let url = OpencastClient.url(ingest, appending: ["schedule", link.settings.workflow])
            let fields = [("mediaPackage", package.xml)] + link.settings.workflowConfiguration.sorted { $0.key < $1.key }
                .map { ("org.opencastproject.workflow.config.\($0.key)", $0.value) }
            _ = try link.client.require(try await link.client.post(url, form: fields), [201, 200], doing: "schedule the ad-hoc recording", url: url)
            await linkRecording(recording.recordingId, package.id)
            logger.notice("Opencast: the ad-hoc recording is scheduled there as an event", metadata: [
                "recording": "\(recording.recordingId)", "event": "\(package.id)", "end": "\(ISO8601.string(end))",
            ])
            await post(recordingState: "capturing", event: package.id)
        } catch {
            failed("ad-hoc", "the ad-hoc recording could not be put into Opencast's schedule (\(error)); it is ingested afterwards as an unscheduled recording")
        }
    }
}
