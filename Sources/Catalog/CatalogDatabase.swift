import Foundation
import GRDB
import RecorderCore

/// The catalog of recordings, bookings and the durable upload queue, in GRDB's `AppDatabase` shape: it wraps an
/// injected `DatabaseWriter` (a WAL `DatabasePool` in a file for the daemon, an in-memory `DatabaseQueue` for unit
/// tests), brings its schema up to date with append-only named migrations, and offers async access, so async code
/// suspends while SQLite works on GRDB's own threads instead of blocking Swift's cooperative pool (where the
/// control socket is answered).
///
/// Every write is one transaction that keeps the catalog's invariants (a finished recording always has its upload
/// job; a recording's upload status follows its newest job), so after a crash or power loss the catalog holds
/// either the state before a change or the state after it.
public final class CatalogDatabase: Sendable {
    private let writer: any DatabaseWriter

    /// A catalog on `writer`, migrated.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (creating if needed) the catalog file at `path`: WAL, full sync, foreign keys, a busy timeout.
    public convenience init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        try self.init(DatabasePool(path: path, configuration: configuration))
    }

    /// Closes the database once every read and write asked for has finished (the last step of roomrecd's stop).
    public func close() throws {
        try (writer as? DatabasePool)?.close()
        try (writer as? DatabaseQueue)?.close()
    }

    /// An empty catalog in memory, for tests.
    public static func inMemory() throws -> CatalogDatabase {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
        return try CatalogDatabase(DatabaseQueue(configuration: configuration))
    }

    /// Reads in a snapshot on GRDB's threads.
    private func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writer.asyncRead { result in continuation.resume(with: result.flatMap { db in Result { try value(db) } }) }
        }
    }

    /// Writes in one transaction on GRDB's writer thread, whether or not the task that asks is cancelled: what a
    /// cancelled delivery or a stopped recording must store (where it stopped) is stored all the same. (GRDB's
    /// own async `write` gives up when its task is cancelled.)
    private func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writer.asyncWrite(updates) { _, result in continuation.resume(with: result) }
        }
    }

    // MARK: Bookings

    public func insert(_ booking: Booking) async throws {
        try await write { db in try booking.insert(db) }
    }

    /// Bookings that have not ended by `now`, earliest first.
    public func bookings(endingAfter now: Date) async throws -> [Booking] {
        try await read { db in
            try Booking.filter(Booking.Columns.end > now).order(Booking.Columns.start, Booking.Columns.createdAt).fetchAll(db)
        }
    }

    @discardableResult
    public func deleteBooking(id: String) async throws -> Bool {
        try await write { db in try Booking.deleteOne(db, key: id) }
    }

    // MARK: Recordings

    public func insert(_ recording: Recording) async throws {
        try await write { db in try recording.insert(db) }
    }

    /// Stores a recording's fields; its upload status is the upload job's to change.
    public func update(_ recording: Recording) async throws {
        try await write { db in try recording.update(db, columns: Recording.ownColumns) }
    }

    /// Stores a recording's new state and answers the state it had (nil: no such recording), in one transaction.
    public func transition(_ recording: Recording) async throws -> RecordingState? {
        try await write { db in
            let previous = try String.fetchOne(db, Recording.select(Recording.Columns.status).filter(key: recording.recordingId))
            try recording.update(db, columns: Recording.ownColumns)
            return previous.flatMap(RecordingState.init(rawValue:))
        }
    }

    public func recording(id: String) async throws -> Recording? {
        try await read { db in try Recording.fetchOne(db, key: id) }
    }

    /// One page of recordings, newest first; up to `maxItems + 1`, so the caller can tell a further page.
    public func recordings(matching query: RecordingQuery) async throws -> [Recording] {
        typealias C = Recording.Columns
        var request = Recording.all()
        if !query.statuses.isEmpty { request = request.filter(query.statuses.map(\.rawValue).contains(C.status)) }
        if let room = query.roomId { request = request.filter(C.roomId == room) }
        if let from = query.startedFrom { request = request.filter(C.startDate >= from) }
        if let before = query.startedBefore { request = request.filter(C.startDate < before) }
        if let after = query.after {
            request = request.filter(C.startDate < after.startDate || (C.startDate == after.startDate && C.recordingId < after.recordingId))
        }
        let page = request.order(C.startDate.desc, C.recordingId.desc).limit(query.maxItems + 1)
        return try await read { db in try page.fetchAll(db) }
    }

    /// The recordings made for an Opencast event (its parts), earliest first.
    public func recordings(opencastEventId: String) async throws -> [Recording] {
        try await read { db in
            try Recording.filter(Recording.Columns.opencastEventId == opencastEventId).order(Recording.Columns.startDate.asc).fetchAll(db)
        }
    }

    // MARK: Opencast ingests

    /// The stored progress of an Opencast media package, as the Opencast module wrote it.
    public func opencastPackage(key: String) async throws -> Data? {
        try await read { db in try Data.fetchOne(db, sql: "SELECT document FROM opencastPackage WHERE key = ?", arguments: [key]) }
    }

    /// Stores (replacing) the progress of an Opencast media package.
    public func storeOpencastPackage(key: String, document: Data, at date: Date) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO opencastPackage (key, document, updatedAt) VALUES (?, ?, ?)", arguments: [key, document, date])
        }
    }

    /// Deletes a recording and its upload jobs; false when there was none.
    @discardableResult
    public func deleteRecording(id: String) async throws -> Bool {
        try await write { db in try Recording.deleteOne(db, key: id) }
    }

    /// Recordings whose file still needs finalizing: those a crash left `starting`, `active` or `ending`, and
    /// those whose finalizing failed while their working file was kept.
    public func unfinishedRecordings() async throws -> [Recording] {
        let states = [RecordingState.starting, .active, .ending].map(\.rawValue)
        return try await read { db in
            try Recording.filter(states.contains(Recording.Columns.status) || Recording.Columns.workingPath != nil).fetchAll(db)
        }
    }

    /// Saves a finished recording and queues its upload in one transaction: a finished file is never left
    /// without a job.
    public func finish(_ recording: Recording, queueing job: UploadJob) async throws {
        try await write { db in
            try recording.update(db, columns: Recording.ownColumns)
            try job.insert(db)
        }
    }

    /// Local files of recordings not yet removed, with when their delivery was confirmed (nil: not confirmed).
    public func localFiles() async throws -> [(recording: Recording, confirmedAt: Date?)] {
        try await read { db in
            typealias C = Recording.Columns
            let recordings = try Recording.filter(C.localRemovedAt == nil && C.workingPath == nil && C.size != nil).fetchAll(db)
            let done = try UploadJob.filter(UploadJob.Columns.state == UploadState.done.rawValue).fetchAll(db)
            let confirmed = Dictionary(done.map { ($0.recordingId, $0.updatedAt) }, uniquingKeysWith: max)
            return recordings.filter { !$0.status.isInProgress }.map { ($0, confirmed[$0.recordingId]) }
        }
    }

    // MARK: Upload queue

    public func uploadJobs() async throws -> [UploadJob] {
        try await read { db in try UploadJob.order(UploadJob.Columns.createdAt.desc).fetchAll(db) }
    }

    /// Upload jobs of one recording.
    public func uploadJobs(recordingId: String) async throws -> [UploadJob] {
        try await read { db in try UploadJob.filter(UploadJob.Columns.recordingId == recordingId).fetchAll(db) }
    }

    public func uploadJob(id: String) async throws -> UploadJob? {
        try await read { db in try UploadJob.fetchOne(db, key: id) }
    }

    /// Takes the next runnable job (queued and due), highest priority then oldest first, and marks it
    /// `uploading` with one more attempt, in one transaction.
    public func claimNextJob(now: Date) async throws -> UploadJob? {
        typealias C = UploadJob.Columns
        return try await write { db in
            guard var job = try UploadJob.filter(C.state == UploadState.queued.rawValue && C.nextAttemptAt <= now)
                .order(C.priority.desc, C.createdAt.asc).fetchOne(db) else { return nil }
            job.state = .uploading
            job.attempts += 1
            job.updatedAt = now
            try job.update(db)
            return job
        }
    }

    /// When the earliest queued job becomes due, if any is queued.
    public func nextDueDate() async throws -> Date? {
        try await read { db in
            try Date.fetchOne(db, UploadJob.select(min(UploadJob.Columns.nextAttemptAt)).filter(UploadJob.Columns.state == UploadState.queued.rawValue))
        }
    }

    public func update(_ job: UploadJob) async throws {
        try await write { db in try job.update(db) }
    }

    /// Stores a job's checkpoint (its remote id and confirmed bytes) and answers the job as stored; nil when the
    /// job is gone.
    public func checkpoint(jobId: String, remoteId: String?, bytesConfirmed: Int64, at date: Date) async throws -> UploadJob? {
        try await write { db in
            guard var job = try UploadJob.fetchOne(db, key: jobId) else { return nil }
            job.remoteId = remoteId
            job.bytesConfirmed = bytesConfirmed
            job.updatedAt = date
            try job.update(db)
            return job
        }
    }

    /// Puts jobs a crash left `uploading` back in the queue; their checkpoints say where to resume.
    @discardableResult
    public func requeueInterruptedJobs(now: Date) async throws -> Int {
        typealias C = UploadJob.Columns
        return try await write { db in
            try UploadJob.filter(C.state == UploadState.uploading.rawValue)
                .updateAll(db, C.state.set(to: UploadState.queued.rawValue), C.updatedAt.set(to: now))
        }
    }

    /// The number of recordings in each status.
    public func recordingCounts() async throws -> [RecordingState: Int] {
        try await read { db in try Self.counts(db, Recording.self, by: Recording.Columns.status) }
    }

    /// The number of jobs in each state.
    public func queueCounts() async throws -> [UploadState: Int] {
        try await read { db in try Self.counts(db, UploadJob.self, by: UploadJob.Columns.state) }
    }

    private static func counts<Record: TableRecord, Value: RawRepresentable & Hashable>(
        _ db: Database, _: Record.Type, by column: Column) throws -> [Value: Int] where Value.RawValue == String {
        let rows = try Row.fetchAll(db, Record.select(column, count(SQL(sql: "*"))).group(column))
        return Dictionary(rows.compactMap { row in (row[0] as String?).flatMap(Value.init(rawValue:)).map { ($0, row[1] as Int) } },
                          uniquingKeysWith: +)
    }

    /// The journal mode SQLite reports (`wal` once opened from a file).
    public func journalMode() async throws -> String {
        try await read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}
