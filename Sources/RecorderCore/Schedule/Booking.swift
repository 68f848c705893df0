import Foundation

/// A time frame booked for recording through the control socket (`roomrecctl schedule add`).
public struct Booking: Codable, Equatable, Sendable {
    /// The field names of the control API's JSON and the catalog's columns, named once.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case bookingId, title, start, end, createdBy, createdAt
    }

    public var bookingId: String
    /// The meeting title its recording is named after.
    public var title: String
    public var start: Date
    public var end: Date
    /// Who booked it.
    public var createdBy: String?
    public var createdAt: Date

    public init(bookingId: String, title: String, start: Date, end: Date, createdBy: String?, createdAt: Date) {
        self.bookingId = bookingId
        self.title = title
        self.start = start
        self.end = end
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// The default time frame of a new booking, as the room platform sets a room's availability: one hour,
    /// starting at the next quarter hour.
    public static func defaultFrame(after now: Date, calendar: Calendar = .current) -> (start: Date, end: Date) {
        let minute = calendar.component(.minute, from: now)
        let second = calendar.component(.second, from: now)
        let nanosecond = calendar.component(.nanosecond, from: now)
        let toNext = (15 - minute % 15) * 60 - second
        var start = now.addingTimeInterval(TimeInterval(toNext) - Double(nanosecond) / 1e9)
        if start <= now { start.addTimeInterval(15 * 60) }
        return (start, start.addingTimeInterval(3600))
    }
}

/// `POST /v1/schedule` body: every field optional.
public struct BookingRequest: Codable, Equatable, Sendable {
    public var title: String?
    public var start: Date?
    public var end: Date?
    /// Instead of `end`: how long, in minutes.
    public var durationMinutes: Int?

    public init(title: String? = nil, start: Date? = nil, end: Date? = nil, durationMinutes: Int? = nil) {
        self.title = title
        self.start = start
        self.end = end
        self.durationMinutes = durationMinutes
    }
}

extension BookingRequest {
    /// The booking this request makes at `now`: with no times, the next frame of the day
    /// (``Booking/defaultFrame(after:)``); with a start only, an hour. A request that cannot be booked (both an end
    /// and a duration, an end before the start or already past, more than 24 hours, an empty or overlong title)
    /// is refused with what to change.
    public func booking(now: Date, defaultTitle: String, createdBy: String) throws(RequestRejected) -> Booking {
        let frame = Booking.defaultFrame(after: now)
        let start = self.start ?? frame.start
        let end: Date
        switch (self.end, durationMinutes) {
        case (_?, _?): throw RequestRejected("give \"end\" or \"durationMinutes\", not both")
        case (let given?, nil): end = given
        case (nil, let minutes?):
            guard (1...24 * 60).contains(minutes) else { throw RequestRejected("\"durationMinutes\" must be from 1 to 1440 (a recording lasts at most 24 hours)") }
            end = start.addingTimeInterval(TimeInterval(minutes * 60))
        case (nil, nil): end = self.start == nil ? frame.end : start.addingTimeInterval(3600)
        }
        guard end > start else { throw RequestRejected("\"end\" must be after \"start\"") }
        guard end > now else { throw RequestRejected("the booking is over already (it ends \(ISO8601.string(end)))") }
        guard end.timeIntervalSince(start) <= 24 * 3600 else { throw RequestRejected("a booking lasts at most 24 hours") }
        let title = self.title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? defaultTitle
        guard !title.isEmpty, title.count <= 200 else { throw RequestRejected("\"title\" must be 1 to 200 characters") }
        return Booking(bookingId: UUID().uuidString.lowercased(), title: title, start: start, end: end, createdBy: createdBy, createdAt: now)
    }
}

extension Booking {
    /// The booking as the planner sees it: asked for ad hoc, so a scheduled class it overlaps names the recording.
    public var plannedEvent: PlannedEvent {
        PlannedEvent(id: bookingId, title: title, start: start, end: end, origin: .booking, createdAt: createdAt)
    }
}
