import RecorderCore

/// Why the upload queue refused a request about a job: a domain error, which the daemon's control API renders
/// as a problem (404, 409, 503).
public enum UploadQueueError: Error, Equatable, CustomStringConvertible {
    /// No job has this id.
    case noSuchJob(String)
    /// The action does not apply to a job in this state (pausing a paused job).
    case notAllowed(UploadAction, UploadState)
    /// The catalog could not be read or written.
    case catalog(String)

    public var description: String {
        switch self {
        case .noSuchJob(let id): "no upload job \(id)"
        case .notAllowed(let action, let state): "cannot \(action.rawValue) a job that is \(state.rawValue)"
        case .catalog(let reason): reason
        }
    }
}
