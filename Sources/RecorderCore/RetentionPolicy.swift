import Foundation

/// Which local recording files may go: only those whose upload the media library confirmed. They go once their
/// retention has passed, and, while free space is under the threshold, earlier, oldest confirmed first. A file
/// whose upload is not confirmed is never removed automatically.
public struct RetentionPolicy: Equatable, Sendable {
    /// Days a confirmed file is kept on this computer.
    public var retentionDays: Int
    /// Free bytes to keep where recordings are written.
    public var minimumFreeBytes: Int64

    public init(retentionDays: Int, minimumFreeBytes: Int64) {
        self.retentionDays = retentionDays
        self.minimumFreeBytes = minimumFreeBytes
    }

    /// A local file and what is known of its delivery.
    public struct LocalFile: Equatable, Sendable {
        public var recordingId: String
        public var size: Int64
        /// When the media library confirmed it; nil while it is not delivered.
        public var confirmedAt: Date?

        public init(recordingId: String, size: Int64, confirmedAt: Date?) {
            self.recordingId = recordingId
            self.size = size
            self.confirmedAt = confirmedAt
        }
    }

    /// The recordings whose local files to remove now, oldest confirmation first.
    public func filesToRemove(_ files: [LocalFile], now: Date, freeBytes: Int64) -> [String] {
        let confirmed = files.filter { $0.confirmedAt != nil }.sorted { $0.confirmedAt! < $1.confirmedAt! }
        let expiry = TimeInterval(retentionDays) * 86_400
        var removing = confirmed.filter { now.timeIntervalSince($0.confirmedAt!) >= expiry }
        var free = freeBytes + removing.reduce(0) { $0 + $1.size }
        for file in confirmed where free < minimumFreeBytes && !removing.contains(file) {
            removing.append(file)
            free += file.size
        }
        return removing.map(\.recordingId)
    }
}
