/// A request the domain cannot carry out as asked (a bad filter, a booking that is over already), with what to
/// change. The control API renders it as a 400 problem; the core knows nothing of HTTP.
public struct RequestRejected: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
