import ControlContract
import DurableFiles
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

/// The classes of one resource as they are kept in `<state_dir>/kaltura-schedule.json`, so a restart without
/// network keeps recording them.
struct KalturaScheduleCopy: Codable, Equatable {
    struct Class: Codable, Equatable {
        var id: Int
        var summary: String
        var start: Date
        var end: Date
        var cancelled: Bool
        var templateEntryId: String?
        var owner: String?
    }

    var resource: String
    var classes: [Class]

    var source: KalturaScheduleSource {
        KalturaScheduleSource(events: classes.map { item in
            PlannedEvent(id: "kaltura-\(item.id)", title: item.summary, start: item.start, end: item.end,
                         origin: .kaltura(eventID: "\(item.id)", templateEntryID: item.templateEntryId), cancelled: item.cancelled, owner: item.owner)
        })
    }

    static func path(in stateDirectory: String) -> String { "\(stateDirectory)/kaltura-schedule.json" }

    static func read(from stateDirectory: String) -> KalturaScheduleCopy? {
        FileManager.default.contents(atPath: path(in: stateDirectory)).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
    }

    /// Written through a temporary name, fsync and rename: a crash leaves the old copy or the new one.
    func store(in stateDirectory: String) throws { try FileSync.writeAtomically(try JSONEncoder().encode(self), to: Self.path(in: stateDirectory)) }
}

/// Polls Kaltura's schedule for the room's resource (`[schedule.kaltura] resource_id`) every
/// `calendar_poll_seconds`, eight days ahead, and hands each new copy to the schedule. A class with a template
/// entry is recorded for the template's owner. A failure is logged and announced once per outage; the last good
/// copy stays in force, also across a restart (``KalturaScheduleCopy``).
struct KalturaSchedulePoller: Sendable {
    let schedule: ScheduleService
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger

    func run() async {
        var last: KalturaScheduleCopy?
        var failing = false
        var reader: (settings: RoomRecorderConfig.Kaltura, reader: KalturaScheduleReader)?
        while !Task.isCancelled {
            let current = config.current
            guard let resource = current.schedule.kalturaResourceID, let settings = current.library.kaltura else {
                if last != nil { last = nil; await schedule.remove(source: KalturaScheduleSource.sourceName) }
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            if last?.resource != resource, let kept = KalturaScheduleCopy.read(from: current.daemon.stateDirectory), kept.resource == resource {
                last = kept
                await schedule.use(kept.source)
                logger.info("Kaltura's schedule: using the copy on disk until Kaltura answers", metadata: ["resource": "\(resource)"])
            }
            do {
                if reader?.settings != settings { reader = (settings, try Self.reader(settings)) }
                let copy = KalturaScheduleCopy(resource: resource, classes: try await classes(resource: resource, reader: reader!.reader))
                if failing { logger.notice("Kaltura's schedule reachable again", metadata: ["resource": "\(resource)"]) }
                failing = false
                if copy != last {
                    last = copy
                    await schedule.use(copy.source)
                    do { try copy.store(in: current.daemon.stateDirectory) } catch {
                        logger.warning("Kaltura's schedule could not be kept on disk", metadata: ["error": "\(error)"])
                    }
                    logger.notice("Kaltura's schedule updated", metadata: ["resource": "\(resource)", "events": "\(copy.classes.count)"])
                    events.publish(.config, message: "Kaltura's schedule for resource \(resource) was updated (\(copy.classes.count) classes in the next 8 days)")
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
    private func classes(resource: String, reader: KalturaScheduleReader) async throws -> [KalturaScheduleCopy.Class] {
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
            .init(id: event.id, summary: event.summary, start: event.start, end: event.end, cancelled: event.cancelled,
                  templateEntryId: event.templateEntryId, owner: event.templateEntryId.flatMap { owners[$0] ?? nil })
        }
    }

    private static func reader(_ settings: RoomRecorderConfig.Kaltura) throws -> KalturaScheduleReader {
        let (client, session) = try KalturaSession.configured(by: settings, timeout: 30)
        return KalturaScheduleReader(client: client, session: session)
    }
}
