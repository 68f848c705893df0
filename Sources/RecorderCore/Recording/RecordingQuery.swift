import Foundation

/// Which recordings `GET /v1/recordings` lists: filters, page size and where the page starts (shaped like
/// OpenVidu Meet's recordings API). Always sorted by start date, newest first.
public struct RecordingQuery: Equatable, Sendable {
    public static let defaultMaxItems = 10
    public static let maxMaxItems = 100

    public var maxItems = RecordingQuery.defaultMaxItems
    /// Where the page starts: the token of the previous page, or nil for the first.
    public var after: PageToken?
    public var statuses: Set<RecordingState> = []
    public var roomId: String?
    /// Recordings that started at or after this date.
    public var startedFrom: Date?
    /// Recordings that started before this date.
    public var startedBefore: Date?

    public init() {}

    /// Reads a query from URL parameters, naming the parameter at fault.
    public static func parse(_ parameters: [String: String]) throws(RequestRejected) -> RecordingQuery {
        var query = RecordingQuery()
        let known: Set<String> = ["maxItems", "nextPageToken", "status", "roomId", "startDateFrom", "startDateTo"]
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw RequestRejected("unknown parameter \"\(unknown)\"; known: \(known.sorted().joined(separator: ", "))")
        }
        if let text = parameters["maxItems"] {
            guard let n = Int(text), (1...maxMaxItems).contains(n) else {
                throw RequestRejected("maxItems must be a whole number from 1 to \(maxMaxItems), got \"\(text)\"")
            }
            query.maxItems = n
        }
        if let token = parameters["nextPageToken"] {
            guard let parsed = PageToken(encoded: token) else { throw RequestRejected("nextPageToken \"\(token)\" is not a token this API gave") }
            query.after = parsed
        }
        if let list = parameters["status"] {
            for name in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let state = RecordingState(rawValue: String(name)) else {
                    throw RequestRejected("status \"\(name)\" is not one of \(RecordingState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.statuses.insert(state)
            }
        }
        query.roomId = parameters["roomId"]
        query.startedFrom = try date(parameters, "startDateFrom")
        query.startedBefore = try date(parameters, "startDateTo")
        return query
    }

    private static func date(_ parameters: [String: String], _ name: String) throws(RequestRejected) -> Date? {
        guard let text = parameters[name] else { return nil }
        guard let date = ISO8601.date(text) else {
            throw RequestRejected("\(name) must be an ISO 8601 date-time such as 2026-09-01T08:00:00Z, got \"\(text)\"")
        }
        return date
    }
}

/// Where a page of recordings ends: the start date and id of its last recording (keyset pagination, so a
/// recording added meanwhile never shifts a page).
public struct PageToken: Equatable, Sendable {
    public var startDate: Date
    public var recordingId: String

    public init(startDate: Date, recordingId: String) {
        self.startDate = startDate
        self.recordingId = recordingId
    }

    /// The URL-safe text form.
    public var encoded: String {
        let raw = "\(Int64((startDate.timeIntervalSince1970 * 1000).rounded()))|\(recordingId)"
        return Data(raw.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let raw = String(data: data, encoding: .utf8) else { return nil }
        let parts = raw.split(separator: "|", maxSplits: 1)
        guard parts.count == 2, let millis = Int64(parts[0]), !parts[1].isEmpty else { return nil }
        startDate = Date(timeIntervalSince1970: Double(millis) / 1000)
        recordingId = String(parts[1])
    }
}

/// One page of recordings.
public struct RecordingPage: Codable, Equatable, Sendable {
    /// How the page relates to the whole list.
    public struct Pagination: Codable, Equatable, Sendable {
        public var isTruncated: Bool
        public var nextPageToken: String?
        public var maxItems: Int
    }

    public var recordings: [Recording]
    public var pagination: Pagination

    public init(recordings: [Recording], isTruncated: Bool, nextPageToken: String?, maxItems: Int) {
        self.recordings = recordings
        pagination = Pagination(isTruncated: isTruncated, nextPageToken: nextPageToken, maxItems: maxItems)
    }
}

/// The answer to a bulk delete: which recordings were deleted and which not, and why.
public struct BulkDeleteResult: Codable, Equatable, Sendable {
    /// A recording that could not be deleted.
    public struct Failure: Codable, Equatable, Sendable {
        public var recordingId: String
        public var error: String

        public init(recordingId: String, error: String) {
            self.recordingId = recordingId
            self.error = error
        }
    }

    public var deleted: [String]
    public var failed: [Failure]

    public init(deleted: [String], failed: [Failure]) {
        self.deleted = deleted
        self.failed = failed
    }
}
