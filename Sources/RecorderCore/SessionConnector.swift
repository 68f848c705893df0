import Foundation

/// A connection to the online room session that the room computer takes part in, on stage.
///
/// A connector joins the session, stays in it and rejoins after a drop (with back-off) until its task is
/// cancelled, then leaves. It reports who is on stage as ``SessionEvent``s; ``SessionRoster`` turns them into
/// what the daemon acts on (participants joining and leaving the recording's stage, the host's presence). The
/// Janus VideoRoom connector is the first; a LiveKit, OpenVidu or WHIP/WHEP one implements the same protocol and
/// nothing else changes.
public protocol SessionConnector: Sendable {
    /// Joins and stays until the task is cancelled, handing every event to `report` in order.
    func run(report: @escaping @Sendable (SessionEvent) -> Void) async

    /// Tells the session whether the room is recording, so participants can show the recording indicator.
    func announceRecording(_ recording: Bool) async
}
