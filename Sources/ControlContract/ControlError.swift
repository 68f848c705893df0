import Foundation
import RecorderCore

/// A request the daemon refuses, mapped to an HTTP status and an RFC 9457 problem body.
public enum ControlError: Error, Equatable, Sendable {
    case badRequest(String)
    case forbidden(String)
    case notFound(String)
    case conflict(String)
    case unavailable(String)

    public var httpStatus: Int {
        switch self {
        case .badRequest: 400
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .unavailable: 503
        }
    }

    public var problem: Problem {
        switch self {
        case .badRequest(let detail): Problem(status: 400, title: "Bad Request", detail: detail)
        case .forbidden(let detail): Problem(status: 403, title: "Forbidden", detail: detail)
        case .notFound(let detail): Problem(status: 404, title: "Not Found", detail: detail)
        case .conflict(let detail): Problem(status: 409, title: "Conflict", detail: detail)
        case .unavailable(let detail): Problem(status: 503, title: "Service Unavailable", detail: detail)
        }
    }
}

/// An RFC 9457 problem details body (`application/problem+json`).
public struct Problem: Codable, Equatable, Sendable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String

    public init(type: String = "about:blank", status: Int, title: String, detail: String) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }
}

/// An error that renders itself as a problem response (as Hummingbird's `HTTPResponseError` does): the control
/// API answers any error that conforms with its status and body.
public protocol ProblemRendering: Error {
    var problem: Problem { get }
}

extension ControlError: ProblemRendering {
    /// A request the domain rejected: 400, with what to change.
    public init(_ rejected: RequestRejected) { self = .badRequest(rejected.reason) }
}

extension RequestRejected: ProblemRendering {
    public var problem: Problem { ControlError(self).problem }
}
