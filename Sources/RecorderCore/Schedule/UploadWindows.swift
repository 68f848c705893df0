import Foundation

/// The times of day uploads may use the network, e.g. only `18:00-07:00` on a network that classes share by
/// day. No window means any time. Times are wall-clock times in the room's time zone, so a window follows
/// daylight-saving changes.
public struct UploadWindows: Equatable, Sendable {
    /// One daily window, `start` inclusive and `end` exclusive, in minutes after midnight; it wraps past
    /// midnight when `end` is before `start`.
    public struct Window: Equatable, Sendable, CustomStringConvertible {
        public var start: Int
        public var end: Int

        /// Parses `HH:MM-HH:MM`.
        public init?(_ text: String) {
            let halves = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
            guard halves.count == 2, let start = WallClock.minutes(halves[0]), let end = WallClock.minutes(halves[1]), start != end else { return nil }
            self.start = start
            self.end = end
        }

        func contains(minute: Int) -> Bool {
            start < end ? (start <= minute && minute < end) : (minute >= start || minute < end)
        }

        public var description: String {
            String(format: "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60)
        }
    }

    public var windows: [Window]
    public var timeZone: TimeZone

    public init(_ windows: [Window] = [], timeZone: TimeZone = .current) {
        self.windows = windows
        self.timeZone = timeZone
    }

    private var calendar: Calendar { WallClock.calendar(timeZone) }

    /// Whether uploads may run at `date`.
    public func isOpen(at date: Date) -> Bool {
        guard !windows.isEmpty else { return true }
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return windows.contains { $0.contains(minute: minute) }
    }

    /// The first instant after `date` at which ``isOpen(at:)`` changes; nil when it never does.
    public func nextChange(after date: Date) -> Date? {
        guard !windows.isEmpty else { return nil }
        let open = isOpen(at: date)
        let calendar = calendar
        let today = calendar.startOfDay(for: date)
        var boundaries: [Date] = []
        for dayOffset in 0...2 {
            guard let day = calendar.date(byAdding: .day, value: dayOffset, to: today) else { continue }
            for window in windows {
                for minute in [window.start, window.end] {
                    if let boundary = WallClock.date(minutes: minute, on: day, calendar), boundary > date {
                        boundaries.append(boundary)
                    }
                }
            }
        }
        return boundaries.sorted().first { isOpen(at: $0) != open }
    }
}
