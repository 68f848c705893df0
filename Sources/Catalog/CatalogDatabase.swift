import Foundation
import GRDB
import RecorderCore

/// The SQLite catalog of recordings and the durable upload queue (WAL mode, one file in the state directory).
///
/// Every change is one transaction, so after a crash or power loss the catalog holds either the state before
/// a change or the state after it. Schema changes are append-only named migrations.
public final class CatalogDatabase: Sendable {
    private let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the catalog at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    /// The schema's history. Never edit a step that has shipped; add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: recordings and upload jobs") { db in
            try db.create(table: "recording") { t in
                t.primaryKey("recordingId", .text)
                t.column("roomId", .text).notNull()
                t.column("title", .text).notNull()
                t.column("name", .text).notNull()
                t.column("filename", .text).notNull()
                t.column("status", .text).notNull()
                t.column("reason", .text)
                t.column("owner", .text)
                t.column("initiator", .text)
                t.column("startDate", .datetime).notNull()
                t.column("endDate", .datetime)
                t.column("duration", .double)
                t.column("size", .integer)
                t.column("sha256", .text)
                t.column("path", .text).notNull()
                t.column("workingPath", .text)
            }
            try db.create(index: "recording_startDate", on: "recording", columns: ["startDate"])
            try db.create(table: "uploadJob") { t in
                t.primaryKey("jobId", .text)
                t.column("recordingId", .text).notNull().references("recording", onDelete: .cascade)
                t.column("target", .text).notNull()
                t.column("state", .text).notNull()
                t.column("priority", .integer).notNull().defaults(to: 0)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("bytesConfirmed", .integer).notNull().defaults(to: 0)
                t.column("totalBytes", .integer).notNull()
                t.column("remoteId", .text)
                t.column("lastError", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                // One job per recording and target: a recording is never delivered twice to one place.
                t.uniqueKey(["recordingId", "target"])
            }
            try db.create(index: "uploadJob_runnable", on: "uploadJob", columns: ["state", "priority", "createdAt"])
        }
        migrator.registerMigration("v2: bookings") { db in
            try db.create(table: "booking") { t in
                t.primaryKey("bookingId", .text)
                t.column("title", .text).notNull()
                t.column("start", .datetime).notNull()
                t.column("end", .datetime).notNull()
                t.column("createdBy", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(index: "booking_end", on: "booking", columns: ["end"])
        }
        migrator.registerMigration("v3: local file retention") { db in
            try db.alter(table: "recording") { t in t.add(column: "localRemovedAt", .datetime) }
        }
        migrator.registerMigration("v4: upload status on recordings") { db in
            try db.alter(table: "recording") { t in t.add(column: "uploadStatus", .text) }
            // The recording follows its newest job in the same transaction as every change of the job.
            let status = "CASE NEW.state " + UploadState.allCases.map { "WHEN '\($0.rawValue)' THEN '\(RecordingUploadStatus($0).rawValue)'" }
                .joined(separator: " ") + " END"
            for event in ["INSERT", "UPDATE OF state"] {
                try db.execute(sql: """
                    CREATE TRIGGER "uploadJob_\(event.prefix(6).lowercased())_status" AFTER \(event) ON uploadJob
                    WHEN NEW.createdAt >= (SELECT MAX(createdAt) FROM uploadJob WHERE recordingId = NEW.recordingId)
                    BEGIN UPDATE recording SET uploadStatus = \(status) WHERE recordingId = NEW.recordingId; END
                    """)
            }
            for state in UploadState.allCases {
                try db.execute(sql: """
                    UPDATE recording SET uploadStatus = ? WHERE (SELECT state FROM uploadJob j WHERE j.recordingId = recording.recordingId
                    ORDER BY createdAt DESC LIMIT 1) = ?
                    """, arguments: [RecordingUploadStatus(state).rawValue, state.rawValue])
            }
        }
        return migrator
    }

    /// Local files of recordings not yet removed, with when their delivery was confirmed (nil: not confirmed).
    public func localFiles() throws -> [(recording: Recording, confirmedAt: Date?)] {
        try pool.read { db in
            let recordings = try Recording.filter(Column("localRemovedAt") == nil && Column("workingPath") == nil && Column("size") != nil)
                .fetchAll(db)
            let done = try UploadJob.filter(Column("state") == UploadState.done.rawValue).fetchAll(db)
            let confirmed = Dictionary(done.map { ($0.recordingId, $0.updatedAt) }, uniquingKeysWith: max)
            return recordings.filter { !$0.status.isInProgress }.map { ($0, confirmed[$0.recordingId]) }
        }
    }

    // MARK: Bookings

    public func insert(_ booking: Booking) throws {
        try pool.write { db in try booking.insert(db) }
    }

    /// Bookings that have not ended by `now`, earliest first.
    public func bookings(endingAfter now: Date) throws -> [Booking] {
        try pool.read { db in try Booking.filter(Column("end") > now).order(Column("start"), Column("createdAt")).fetchAll(db) }
    }

    @discardableResult
    public func deleteBooking(id: String) throws -> Bool {
        try pool.write { db in try Booking.deleteOne(db, key: id) }
    }

    // MARK: Recordings

    public func insert(_ recording: Recording) throws {
        try pool.write { db in try recording.insert(db) }
    }

    /// Stores a recording's fields; its upload status is the upload job's to change.
    public func update(_ recording: Recording) throws {
        try pool.write { db in try recording.update(db, columns: try Recording.ownColumns(db)) }
    }

    public func recording(id: String) throws -> Recording? {
        try pool.read { db in try Recording.fetchOne(db, key: id) }
    }

    /// One page of recordings, newest first; up to `maxItems + 1`, so the caller can tell a further page.
    public func recordings(matching query: RecordingQuery) throws -> [Recording] {
        var request = Recording.all()
        if !query.statuses.isEmpty { request = request.filter(query.statuses.map(\.rawValue).contains(Column("status"))) }
        if let room = query.roomId { request = request.filter(Column("roomId") == room) }
        if let from = query.startedFrom { request = request.filter(Column("startDate") >= from) }
        if let before = query.startedBefore { request = request.filter(Column("startDate") < before) }
        if let after = query.after {
            request = request.filter(Column("startDate") < after.startDate
                || (Column("startDate") == after.startDate && Column("recordingId") < after.recordingId))
        }
        let page = request.order(Column("startDate").desc, Column("recordingId").desc).limit(query.maxItems + 1)
        return try pool.read { db in try page.fetchAll(db) }
    }

    /// Deletes a recording and its upload jobs; false when there was none.
    @discardableResult
    public func deleteRecording(id: String) throws -> Bool {
        try pool.write { db in try Recording.deleteOne(db, key: id) }
    }

    /// Upload jobs of one recording.
    public func uploadJobs(recordingId: String) throws -> [UploadJob] {
        try pool.read { db in try UploadJob.filter(Column("recordingId") == recordingId).fetchAll(db) }
    }

    /// Recordings whose file still needs finalizing: those a crash left `starting`, `active` or `ending`, and
    /// those whose finalizing failed while their working file was kept.
    public func unfinishedRecordings() throws -> [Recording] {
        let states = [RecordingState.starting, .active, .ending].map(\.rawValue)
        return try pool.read { db in
            try Recording.filter(states.contains(Column("status")) || Column("workingPath") != nil).fetchAll(db)
        }
    }

    /// Saves a finished recording and queues its upload in one transaction: a finished file is never left
    /// without a job.
    public func finish(_ recording: Recording, queueing job: UploadJob) throws {
        try pool.write { db in
            try recording.update(db, columns: try Recording.ownColumns(db))
            try job.insert(db)
        }
    }

    // MARK: Upload queue

    public func uploadJobs() throws -> [UploadJob] {
        try pool.read { db in try UploadJob.order(Column("createdAt").desc).fetchAll(db) }
    }

    public func uploadJob(id: String) throws -> UploadJob? {
        try pool.read { db in try UploadJob.fetchOne(db, key: id) }
    }

    /// Takes the next runnable job (queued and due), highest priority then oldest first, and marks it
    /// `uploading` with one more attempt, in one transaction.
    public func claimNextJob(now: Date) throws -> UploadJob? {
        try pool.write { db in
            guard var job = try UploadJob
                .filter(Column("state") == UploadState.queued.rawValue && Column("nextAttemptAt") <= now)
                .order(Column("priority").desc, Column("createdAt").asc)
                .fetchOne(db) else { return nil }
            job.state = .uploading
            job.attempts += 1
            job.updatedAt = now
            try job.update(db)
            return job
        }
    }

    /// When the earliest queued job becomes due, if any is queued.
    public func nextDueDate() throws -> Date? {
        try pool.read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(nextAttemptAt) FROM uploadJob WHERE state = ?", arguments: [UploadState.queued.rawValue])
        }
    }

    public func update(_ job: UploadJob) throws {
        try pool.write { db in try job.update(db) }
    }

    /// Puts jobs a crash left `uploading` back in the queue; their checkpoints say where to resume.
    @discardableResult
    public func requeueInterruptedJobs(now: Date) throws -> Int {
        try pool.write { db in
            try UploadJob.filter(Column("state") == UploadState.uploading.rawValue)
                .updateAll(db, Column("state").set(to: UploadState.queued.rawValue), Column("updatedAt").set(to: now))
        }
    }

    /// The number of recordings in each status.
    public func recordingCounts() throws -> [String: Int] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM recording GROUP BY status")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["status"] as String, $0["n"] as Int) })
        }
    }

    /// The number of jobs in each state.
    public func queueCounts() throws -> [String: Int] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM uploadJob GROUP BY state")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["state"] as String, $0["n"] as Int) })
        }
    }

    /// The journal mode SQLite reports (`wal` once opened).
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

extension Recording: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "recording"
    /// Every column but `uploadStatus`, which triggers on the upload jobs keep in step (a recording held in
    /// memory while its upload runs must not write back a stale status).
    static func ownColumns(_ db: Database) throws -> [String] {
        try db.columns(in: databaseTableName).map(\.name).filter { $0 != "uploadStatus" }
    }
}

extension UploadJob: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "uploadJob"
}

extension Booking: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "booking"
}
