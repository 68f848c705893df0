/// Whether the session's start starts a recording (`[session] auto_record`). The session starts when its host
/// comes on stage, and each start records once: a recording stopped by hand while the host stays is not started
/// again until the host has left and come back; a host who comes back within the grace finds the recording going
/// on (``RecordingRules``); a dropped connection that takes the host off the stage and brings them back starts
/// one if nothing records.
public struct SessionAutoRecord: Equatable, Sendable {
    /// Whether the next time the host is on stage is a start.
    private var armed = true

    public init() {}

    /// Called after every change to the session: true when a recording should start now.
    public mutating func shouldStart(hostPresent: Bool, recording: Bool) -> Bool {
        guard hostPresent else {
            armed = true
            return false
        }
        guard armed else { return false }
        armed = false
        return !recording
    }
}
