import Foundation
import RecorderCore

/// Opencast refused a request, or answered what the agent cannot use. The message says what a person can do
/// about it: which user and method to check, which role is missing.
public struct OpencastError: RetryAfterError, CustomStringConvertible {
    /// The HTTP status (0 when the answer, not the status, was the problem).
    public var status: Int
    public var message: String
    public var retryAfter: TimeInterval?

    public init(status: Int, message: String, retryAfter: TimeInterval? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// A later attempt may see another answer: Opencast's own failures, a proxy in front of it, overload.
    public var isTransient: Bool { status >= 500 || status == 408 || status == 429 || status == 0 }

    public var description: String { message }
}
