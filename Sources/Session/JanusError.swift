import Foundation

/// Janus refused a request, answered something unexpected, or could not be reached.
public struct JanusError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
