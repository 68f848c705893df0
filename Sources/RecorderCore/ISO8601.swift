import Foundation

/// ISO 8601 / RFC 3339 date-times, the one way RoomRecorder reads and writes them outside JSON (whose encoders and
/// decoders use Foundation's `.iso8601` strategy, the same form).
public enum ISO8601 {
    /// Reads a date-time as the control API takes it: with or without fractional seconds, with `Z` or an offset.
    public static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// `2026-09-01T08:15:00Z`: in UTC, to the second.
    public static func string(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
