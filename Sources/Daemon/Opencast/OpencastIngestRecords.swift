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
    private let packages = KeyedLock()

    init(catalog: CatalogDatabase) { self.catalog = catalog }

    func connect(schedule: ScheduleService, agent: OpencastAgent) { links.withLock { $0 = Links(schedule: schedule, agent: agent) } }

    public func progress(_ key: String) async throws -> IngestProgress? {
        try await catalog.opencastPackage(key: key).map { try JSONDecoder().decode(IngestProgress.self, from: $0) }
    }

    public func store(_ progress: IngestProgress) async throws {
        try await catalog.storeOpencastPackage(key: progress.key, document: try JSONEncoder().encode(progress), at: Date())
    }

    /// Over: no part records, the schedule has the agent's calendar (after a restart, the queue may look before
    /// the calendar is read), and it will not start another part (the event ended, or a person stopped it).
    public func parts(ofEvent uid: String) async throws -> (parts: [Recording], over: Bool) {
        let parts = try await catalog.recordings(opencastEventId: uid)
        if parts.contains(where: \.status.isInProgress) { return (parts, false) }
        let (schedule, agent) = links.withLock { ($0.schedule, $0.agent) }
        guard let schedule, let agent, await agent.calendarSettled else { return (parts, false) }
        let due = await schedule.wantsRecorded(eventID: OpencastScheduleSource.plannedID(uid))
        return (parts, !due)
    }

    public func exclusive<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await packages.lock(key)
        do {
            let result = try await body()
            await packages.unlock(key)
            return result
        } catch {
            await packages.unlock(key)
            throw error
        }
    }

    public func event(_ uid: String) async -> OpencastEvent? {
        await links.withLock { $0.agent }?.event(uid)
    }
}

/// Locks by name: one holder per key, the others wait in turn.
actor KeyedLock {
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func lock(_ key: String) async {
        guard held.insert(key).inserted else {
            await withCheckedContinuation { waiting[key, default: []].append($0) }
            return
        }
    }

    /// Hands the key to the next waiter, if any.
    func unlock(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }
}
