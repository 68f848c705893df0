import GRDB
import RecorderCore

// The domain's types as rows: their columns are their coding keys, named once in RecorderCore.

extension Recording: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "recording"

    public enum Columns {
        public static let recordingId = Column(CodingKeys.recordingId)
        public static let roomId = Column(CodingKeys.roomId)
        public static let status = Column(CodingKeys.status)
        public static let startDate = Column(CodingKeys.startDate)
        public static let size = Column(CodingKeys.size)
        public static let workingPath = Column(CodingKeys.workingPath)
        public static let localRemovedAt = Column(CodingKeys.localRemovedAt)
        public static let uploadStatus = Column(CodingKeys.uploadStatus)
        public static let opencastEventId = Column(CodingKeys.opencastEventId)
    }

    /// Every column but `uploadStatus`, which triggers on the upload jobs keep in step (a recording held in
    /// memory while its upload runs must not write back a stale status).
    static let ownColumns = CodingKeys.allCases.filter { $0 != .uploadStatus }.map(\.stringValue)
}

extension UploadJob: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "uploadJob"

    public enum Columns {
        public static let recordingId = Column(CodingKeys.recordingId)
        public static let state = Column(CodingKeys.state)
        public static let priority = Column(CodingKeys.priority)
        public static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}

extension Booking: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "booking"

    public enum Columns {
        public static let start = Column(CodingKeys.start)
        public static let end = Column(CodingKeys.end)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
}
