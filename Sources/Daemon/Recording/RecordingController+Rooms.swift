import Foundation
import RecorderCore

extension RecordingController {
    /// The room moved to another room of its online session (`breakout`: the breakout's name; nil: back in the
    /// main room). As the room platforms do, each room visited is a recording of its own: the one in progress
    /// completes with `reason` and the next starts at once in the new room, named after it, and both carry one
    /// session id so the parts of the class can be found together.
    func roomMoved(to breakout: String?, reason: String) async {
        self.breakout = breakout
        moveReason = reason
        guard let current = active, supervisor.isRecording else { return }
        let link = current.recording.sessionId ?? UUID().uuidString.lowercased()
        sessionLink = link
        active?.recording.sessionId = link
        guard case .stopPipeline(_, let dismissed) = supervisor.stopAsked(.roomMoved(reason)) else { return }
        if !dismissed.isEmpty { await parent?.bookingsDismissed(dismissed) }
        logger.with(recording: current.recording.recordingId).notice("recording stopping: the room moved", metadata: ["reason": "\(reason)"])
        await beginStopping()
    }
}
