import Foundation

/// A room's class timetable from the configuration: weekly slots within a term, minus exception dates (holidays,
/// cancelled classes), each recorded from its pre-roll before the start to its post-roll after the end. It is one
/// of the schedule's sources: its classes are planned events the planner merges with the others.
public struct Timetable: Equatable, Sendable {
    /// One weekly class.
    public struct Slot: Equatable, Sendable {
        /// The meeting title its recordings are named after.
        public var title: String
        /// Weekdays it takes place on: 1 is Sunday, 2 Monday … 7 Saturday (Foundation's numbering).
        public var weekdays: Set<Int>
        /// Minutes after midnight, local time.
        public var start: Int
        public var end: Int

        public init(title: String, weekdays: Set<Int>, start: Int, end: Int) {
            self.title = title
            self.weekdays = weekdays
            self.start = start
            self.end = end
        }
    }

    /// A calendar date, as `YYYY-MM-DD`, compared as text (the format sorts by date).
    public typealias Day = String

    public var slots: [Slot]
    /// First and last day of the term (inclusive); nil: no bound.
    public var termStart: Day?
    public var termEnd: Day?
    /// Days without classes.
    public var exceptions: Set<Day>
    public var preRollMinutes: Int
    public var postRollMinutes: Int
    public var timeZone: TimeZone

    public init(slots: [Slot] = [], termStart: Day? = nil, termEnd: Day? = nil, exceptions: Set<Day> = [], preRollMinutes: Int = 0,
                postRollMinutes: Int = 0, timeZone: TimeZone = .current) {
        self.slots = slots
        self.termStart = termStart
        self.termEnd = termEnd
        self.exceptions = exceptions
        self.preRollMinutes = preRollMinutes
        self.postRollMinutes = postRollMinutes
        self.timeZone = timeZone
    }

    /// The prefix of the ids of the events a timetable plans.
    public static let eventPrefix = "timetable-"

    /// The classes that overlap `from ..< to`, with stable ids (`timetable-<day>-<slot>`), so a class stopped by
    /// hand stays stopped however often the timetable is read again.
    public func events(from: Date, to: Date) -> [PlannedEvent] {
        guard !slots.isEmpty, from < to else { return [] }
        let calendar = WallClock.calendar(timeZone)
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"

        var result: [PlannedEvent] = []
        // A day's classes may start before `from` (post-roll) or end after `to` (pre-roll): look one day wider.
        var day = calendar.startOfDay(for: from.addingTimeInterval(-86400))
        let last = to.addingTimeInterval(86400)
        while day < last {
            let name = formatter.string(from: day)
            let weekday = calendar.component(.weekday, from: day)
            let inTerm = (termStart.map { name >= $0 } ?? true) && (termEnd.map { name <= $0 } ?? true)
            if inTerm, !exceptions.contains(name) {
                for (index, slot) in slots.enumerated() where slot.weekdays.contains(weekday) {
                    guard let start = WallClock.date(minutes: slot.start, on: day, calendar),
                          let end = WallClock.date(minutes: slot.end, on: day, calendar) else { continue }
                    let event = PlannedEvent(id: "\(Self.eventPrefix)\(name)-\(index + 1)", title: slot.title,
                                             start: start.addingTimeInterval(-Double(preRollMinutes) * 60),
                                             end: end.addingTimeInterval(Double(postRollMinutes) * 60), origin: .timetable, createdAt: day)
                    if event.end > from, event.start < to { result.append(event) }
                }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return result
    }

    /// Weekday names as the configuration writes them, in Foundation's numbering.
    public static let weekdayNames = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7]

    /// Whether `text` is a valid `YYYY-MM-DD` date.
    public static func isDay(_ text: String) -> Bool {
        guard text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil else { return false }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text).map { formatter.string(from: $0) == text } ?? false
    }
}
