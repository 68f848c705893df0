import Foundation
import RecorderCore

/// `GET /v1/schedule/upcoming`: one planned recording and whether it will be recorded.
public struct UpcomingRecording: Codable, Equatable, Sendable {
    /// With the pre- and post-roll.
    public var start: Date
    public var end: Date
    public var title: String
    /// `timetable`, `calendar:<feed>`, `kaltura:<event id>`, `booking:<id>`.
    public var source: String
    public var willRecord: Bool
    /// Why it will not: cancelled, recorded as part of another, stopped by a person, too little disk space.
    public var reason: String?

    public init(start: Date, end: Date, title: String, source: String, willRecord: Bool, reason: String? = nil) {
        self.start = start
        self.end = end
        self.title = title
        self.source = source
        self.willRecord = willRecord
        self.reason = reason
    }
}

/// `GET /v1/schedule/upcoming` body.
public struct UpcomingList: Codable, Equatable, Sendable {
    public var from: Date
    public var to: Date
    public var recordings: [UpcomingRecording]

    public init(from: Date, to: Date, recordings: [UpcomingRecording]) {
        self.from = from
        self.to = to
        self.recordings = recordings
    }
}

/// The window of `GET /v1/schedule/upcoming?from=&to=`: by default the next seven days. A window longer than
/// 92 days is cut to its first 92, one that ends before it starts is empty; the answer says which window it
/// covers.
public struct UpcomingWindow: Equatable, Sendable {
    public var from: Date
    public var to: Date

    public static let longest: TimeInterval = 92 * 86400

    public init(from: Date, to: Date) {
        self.from = from
        self.to = to
    }

    public static func parse(_ parameters: [String: String], now: Date) throws(RequestRejected) -> UpcomingWindow {
        if let unknown = parameters.keys.sorted().first(where: { $0 != "from" && $0 != "to" }) {
            throw RequestRejected("unknown parameter \"\(unknown)\"; known: from, to")
        }
        func date(_ key: String) throws(RequestRejected) -> Date? {
            guard let text = parameters[key] else { return nil }
            guard let date = ISO8601.date(text) else { throw RequestRejected("\"\(key)\" must be an ISO 8601 date-time such as 2026-12-07T08:00:00Z, got \"\(text)\"") }
            return date
        }
        let from = try date("from") ?? now
        let to = try date("to") ?? from.addingTimeInterval(7 * 86400)
        return UpcomingWindow(from: from, to: min(max(to, from), from.addingTimeInterval(longest)))
    }
}

/// `POST /v1/recordings/current/extend` body: how many more minutes the scheduled recording in progress runs.
public struct ExtendRequest: Codable, Equatable, Sendable {
    public var minutes: Int

    public static let allowed = [5, 10, 15]

    public init(minutes: Int) { self.minutes = minutes }
}

/// `POST /v1/recordings/current/extend` answer.
public struct RecordingExtension: Codable, Equatable, Sendable {
    public var recordingId: String
    public var title: String
    /// When it now stops.
    public var end: Date

    public init(recordingId: String, title: String, end: Date) {
        self.recordingId = recordingId
        self.title = title
        self.end = end
    }
}
