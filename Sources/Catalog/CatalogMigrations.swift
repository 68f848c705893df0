import GRDB
import RecorderCore

extension CatalogDatabase {
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
        migrator.registerMigration("v5: the template entry of a scheduled class") { db in
            try db.alter(table: "recording") { t in t.add(column: "templateEntryId", .text) }
        }
        migrator.registerMigration("v6: Opencast events and their ingest") { db in
            try db.alter(table: "recording") { t in t.add(column: "opencastEventId", .text).indexed() }
            // One row per media package being ingested: an Opencast event (all its parts) or an unscheduled
            // recording. The document is the Opencast module's; the catalog only keeps it durable.
            try db.create(table: "opencastPackage") { t in
                t.primaryKey("key", .text)
                t.column("document", .blob).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v7: the online session a recording is part of (breakout rooms)") { db in
            try db.alter(table: "recording") { t in t.add(column: "sessionId", .text).indexed() }
        }
        return migrator
    }

}
