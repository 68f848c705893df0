import Foundation

/// ISO 8601 / RFC 3339 date-times as the control API reads them: with or without fractional seconds, with `Z`
/// or an offset.
public enum ISO8601 {
    public static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
