import Foundation

/// Times of day on the wall clock, as schedules and upload windows write them (`HH:MM`), and how they land on a
/// given day in a time zone, daylight-saving changes included.
public enum WallClock {
    /// Parses `HH:MM` (00:00 to 24:00) into minutes after midnight.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute),
              hour * 60 + minute <= 24 * 60 else { return nil }
        return hour * 60 + minute
    }

    /// `minutes` after midnight on `day` by the wall clock of `calendar`'s time zone: 24:00 is the next midnight,
    /// and a time a DST change skips comes out at the next valid one.
    public static func date(minutes: Int, on day: Date, _ calendar: Calendar) -> Date? {
        minutes == 24 * 60
            ? calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: day))
            : calendar.date(bySettingHour: minutes / 60, minute: minutes % 60, second: 0, of: day)
    }

    /// A Gregorian calendar in `timeZone`.
    public static func calendar(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}
