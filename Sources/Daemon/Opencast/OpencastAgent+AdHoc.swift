import Foundation
import Opencast
import RecorderCore

extension OpencastAgent {
    /// Puts a recording no Opencast event asked for (`roomrecctl start`, a booking) into Opencast's schedule
    /// (`ad_hoc = "schedule"`), so the admin UI shows it while it records and its ingest is bound to it: a media
    /// package with an episode catalog whose period runs from the recording's start for `ad_hoc_minutes` (ending
    /// before the agent's next event, which Opencast would refuse as a conflict), then `ingest/schedule`. When
    /// Opencast cannot take it, the recording is ingested afterwards as an unscheduled one.
    func scheduleAdHoc(_ recording: Recording, link: Link) async {
        guard adHocTried.insert(recording.recordingId).inserted else { return }
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
            let url = ingest.appendingPathComponent("schedule").appendingPathComponent(link.settings.workflow)
            let fields = [("mediaPackage", package.xml)] + link.settings.workflowConfiguration.sorted { $0.key < $1.key }
                .map { ("org.opencastproject.workflow.config.\($0.key)", $0.value) }
            _ = try link.client.require(try await link.client.post(url, form: fields), [201, 200], doing: "schedule the ad-hoc recording", url: url)
            await linkRecording(recording.recordingId, package.id)
            logger.notice("Opencast: the ad-hoc recording is scheduled there as an event", metadata: [
                "recording": "\(recording.recordingId)", "event": "\(package.id)", "end": "\(ISO8601.string(end))",
            ])
            await post(recordingState: "capturing", event: package.id)
        } catch {
            failed("the ad-hoc recording could not be put into Opencast's schedule (\(error)); it is ingested afterwards as an unscheduled recording")
        }
    }
}
