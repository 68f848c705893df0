import Foundation

/// When a failed upload is tried again: exponential back-off with full jitter (a random delay between zero and
/// `base · 2^(failures-1)`, capped at `maximum`), so rooms that lost the network together do not retry together.
/// A server's `Retry-After` is a floor.
public struct RetryPolicy: Sendable {
    public var base: TimeInterval
    public var maximum: TimeInterval
    /// A random number in `0...upper`; injectable so tests can fix it.
    public var random: @Sendable (TimeInterval) -> TimeInterval

    public init(base: TimeInterval = 2, maximum: TimeInterval = 900,
                random: @escaping @Sendable (TimeInterval) -> TimeInterval = { TimeInterval.random(in: 0...$0) }) {
        self.base = base
        self.maximum = maximum
        self.random = random
    }

    /// The most a delay can be after `failures` failures (1-based).
    public func ceiling(afterFailures failures: Int) -> TimeInterval {
        guard failures > 0 else { return 0 }
        return min(maximum, base * pow(2, Double(min(failures - 1, 30))))
    }

    /// The delay before the next attempt, after `failures` failures; never less than `retryAfter`.
    public func delay(afterFailures failures: Int, retryAfter: TimeInterval? = nil) -> TimeInterval {
        max(random(ceiling(afterFailures: failures)), min(retryAfter ?? 0, maximum))
    }
}

/// An error that says when to try again (an HTTP `Retry-After`).
public protocol RetryAfterError: Error {
    var retryAfter: TimeInterval? { get }
}

extension RetryPolicy {
    /// The seconds an HTTP `Retry-After` field asks to wait (RFC 9110 §10.2.3): a number of seconds, or an HTTP
    /// date (then the time until it, never negative); nil for anything else.
    public static func retryAfter(_ field: String?, now: Date = Date()) -> TimeInterval? {
        guard let field = field?.trimmingCharacters(in: .whitespaces), !field.isEmpty else { return nil }
        if let seconds = TimeInterval(field), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: field) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
