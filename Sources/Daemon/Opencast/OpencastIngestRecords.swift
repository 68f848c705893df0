import Catalog
import Foundation
import Opencast
import RecorderCore
import Synchronization

/// What the Opencast upload target keeps and asks: each package's ingest progress in the catalog, an event's
/// parts from the catalog, and from the schedule whether another part may still be recorded. Made before the
/// daemon (the upload targets are), and connected to its schedule and agent once they exist.
public final class OpencastIngestRecords: OpencastIngestStore {
    private struct Links {
        var schedule: ScheduleService?
        var agent: OpencastAgent?
    }

    let catalog: CatalogDatabase
    private let links = Mutex(Links())

    init(catalog: CatalogDatabase) { self.catalog = catalog }

    func connect(schedule: ScheduleService, agent: OpencastAgent) { links.withLock { $0 = Links(schedule: schedule, agent: agent) } }

    public func progress(_ key: String) async throws -> IngestProgress? {
        try await catalog.opencastPackage(key: key).map { try JSONDecoder().decode(IngestProgress.self, from: $0) }
    }

    public func store(_ progress: IngestProgress) async throws {
        try await catalog.storeOpencastPackage(key: progress.key, document: try JSONEncoder().encode(progress), at: Date())
    }

    public func parts(ofEvent uid: String) async throws -> (parts: [Recording], over: Bool) {
        let parts = try await catalog.recordings(opencastEventId: uid)
        if parts.contains(where: \.status.isInProgress) { return (parts, false) }
        let schedule = links.withLock { $0.schedule }
        let due = await schedule?.wantsRecorded(eventID: OpencastScheduleSource.plannedID(uid)) ?? false
        return (parts, !due)
    }

    public func event(_ uid: String) async -> OpencastEvent? {
        await links.withLock { $0.agent }?.event(uid)
    }
}
