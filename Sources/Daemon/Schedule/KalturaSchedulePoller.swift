import ControlContract
import Foundation
import Logging
import RecorderCore
import Uploads

/// The last good copy of the room's classes in Kaltura's schedule.
struct KalturaScheduleSource: ScheduleSource {
    static let sourceName = "kaltura"
    var name: String { Self.sourceName }
    let events: [PlannedEvent]

    func events(from: Date, to: Date) -> [PlannedEvent] { events.filter { $0.end > from && $0.start < to } }
}

/// Polls Kaltura's schedule for the room's resource (`[schedule.kaltura] resource_id`) every
/// `calendar_poll_seconds`, eight days ahead, and hands each new copy to the schedule. A class with a template
/// entry is recorded for the template's owner. A failure is logged and announced once per outage; the last good
/// copy stays in force.
struct KalturaSchedulePoller: Sendable {
    let schedule: ScheduleService
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger

    func run() async {
        var last: [PlannedEvent]?
        var failing = false
        var reader: (settings: RoomRecorderConfig.Kaltura, reader: KalturaScheduleReader)?
        while !Task.isCancelled {
            let current = config.current
            guard let resource = current.schedule.kalturaResourceID, let settings = current.library.kaltura else {
                if last != nil { last = nil; await schedule.remove(source: KalturaScheduleSource.sourceName) }
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            do {
                if reader?.settings != settings { reader = (settings, try Self.reader(settings)) }
                let planned = try await plannedEvents(resource: resource, reader: reader!.reader)
                if failing { logger.notice("Kaltura's schedule reachable again", metadata: ["resource": "\(resource)"]) }
                failing = false
                if planned != last {
                    last = planned
                    await schedule.use(KalturaScheduleSource(events: planned))
                    logger.notice("Kaltura's schedule updated", metadata: ["resource": "\(resource)", "events": "\(planned.count)"])
                    events.publish(.config, message: "Kaltura's schedule for resource \(resource) was updated (\(planned.count) classes in the next 8 days)")
                }
            } catch {
                if !failing {
                    logger.warning("Kaltura's schedule could not be read; the last known schedule stays", metadata: ["resource": "\(resource)", "error": "\(error)"])
                    events.publish(.warning, message: "Kaltura's schedule could not be read (\(error)); the last known schedule stays in force")
                }
                failing = true
            }
            await config.pause(current.schedule.calendarPoll)
        }
    }

    /// The classes of the next eight days (and the one in progress), with their templates' owners.
    private func plannedEvents(resource: String, reader: KalturaScheduleReader) async throws -> [PlannedEvent] {
        let now = Date()
        let found = try await reader.events(resourceId: resource, from: now.addingTimeInterval(-3600), to: now.addingTimeInterval(8 * 86400))
        var owners: [String: String?] = [:]
        for template in Set(found.compactMap(\.templateEntryId)) {
            // A template Kaltura cannot give (deleted, or hidden by entitlement) costs only its owner: the class is
            // still recorded, for the room type's owner, and the entry still names the template.
            do { owners[template] = try await reader.template(template).owner } catch {
                logger.warning("Kaltura's schedule: a class's template entry cannot be read; its recordings keep the room's owner",
                               metadata: ["template": "\(template)", "error": "\(error)"])
                owners[template] = .some(nil)
            }
        }
        return found.map { event in
            PlannedEvent(id: "kaltura-\(event.id)", title: event.summary, start: event.start, end: event.end,
                         origin: .kaltura(eventID: "\(event.id)", templateEntryID: event.templateEntryId), cancelled: event.cancelled,
                         owner: event.templateEntryId.flatMap { owners[$0] ?? nil })
        }
    }

    private static func reader(_ settings: RoomRecorderConfig.Kaltura) throws -> KalturaScheduleReader {
        let token = try SecretFile.read(settings.appTokenFile, what: "Kaltura app token").text.trimmingCharacters(in: .whitespacesAndNewlines)
        let client = KalturaClient(serviceURL: URL(string: settings.serviceURL)!, timeout: 30)
        let session = KalturaSession(client: client, partnerId: settings.partnerId, appTokenId: settings.appTokenId, appToken: token,
                                     hashType: KalturaSession.HashType(rawValue: settings.appTokenHashType) ?? .sha1, userId: settings.sessionUserId)
        return KalturaScheduleReader(client: client, session: session)
    }
}
