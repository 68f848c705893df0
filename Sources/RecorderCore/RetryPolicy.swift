import Foundation

/// When a failed upload is tried again: exponential back-off from `base`, capped at `maximum`.
public struct RetryPolicy: Equatable, Sendable {
    public var base: TimeInterval
    public var maximum: TimeInterval

    public init(base: TimeInterval = 5, maximum: TimeInterval = 600) {
        self.base = base
        self.maximum = maximum
    }

    /// The delay before attempt number `attempt + 1`, after `attempt` failures (1-based).
    public func delay(afterFailures attempt: Int) -> TimeInterval {
        guard attempt > 0 else { return 0 }
        let exponent = min(attempt - 1, 30)
        return min(maximum, base * pow(2, Double(exponent)))
    }
}
