import ControlContract
import Foundation
import Logging
import RecorderCore

extension RecordingController {
    /// The pipeline of recording `id` ended: the supervisor says in which state it is finalized and whether the
    /// next part starts at once (before this one is finalized, so little is lost between parts).
    func pipelineEnded(id: String, outcome: RecordingPipeline.Outcome) async {
        defer { working.remove(id) }
        guard let ended = active, ended.recording.recordingId == id else { return }
        let logger = logger.with(recording: id)
        active = nil
        stage.attach(nil)
        if let first = outcome.firstFrameAt { lastStartLatency = first.seconds(since: ended.requestedAt) }
        // A failed video encoder (a GPU gone) hands over to the next one; libx264 behind steps to a faster preset.
        let change = await encoders.change(failure: outcome.encoderFailure, fasterPreset: outcome.fasterPreset, recordingID: id)
        if let change { store.events.publish(.warning, recording: ended.recording, message: change) }
        let pipelineOutcome: RecordingSupervisor.PipelineOutcome = if let change {
            .encoderChanged(failure: outcome.failure, change: change)
        } else if let failure = outcome.failure {
            .failed(failure)
        } else {
            .finished
        }
        guard let ending = supervisor.pipelineEnded(pipelineOutcome) else { return }
        // The chain of recordings across the session's rooms ends with the first one that has no next part.
        if ending.nextPart == nil { sessionLink = nil }
        if let next = ending.nextPart { await startNextPart(next, after: ended.recording) }
        if !supervisor.isBusy {
            await uploads.release(Self.recordingHold)
            await board.showWhyUploadsWait(uploads)
        }
        if ending.announceStop { await parent?.recordingChanged(false) }

        droppedVideoFrames += outcome.droppedVideoFrames
        if let failure = outcome.failure {
            store.events.publish(.warning, recording: ended.recording, message: "the recording stopped early: \(failure)")
            logger.error("the recording stopped early", metadata: ["reason": "\(failure)"])
        }
        // A booked recording that failed at once must not be restarted four times a second.
        if ending.blockFailed { await parent?.bookedRecordingFailed() }
        if outcome.droppedVideoFrames > 0 {
            store.events.publish(.warning, recording: ended.recording, message: "\(outcome.droppedVideoFrames) video frames were dropped")
            logger.warning("video frames dropped", metadata: ["dropped": "\(outcome.droppedVideoFrames)", "written": "\(outcome.videoFrames)"])
        }
        var recording = ended.recording
        recording.endDate = Date()
        await finalizer.finalizeAndQueue(&recording, status: ending.finalState, reason: ending.reason, file: outcome.file)
        if let stopAt = ended.stopRequestedAt { lastStopLatency = MonotonicInstant.now().seconds(since: stopAt) }
        logger.info("recording timings", metadata: [
            "startToFirstFrameSeconds": "\(lastStartLatency.map { String(format: "%.3f", $0) } ?? "-")",
            "stopToQueuedSeconds": "\(ended.stopRequestedAt == nil ? "-" : String(format: "%.3f", lastStopLatency ?? 0))",
        ])
        notifier.status("Idle")
        // A libx264 measurement put off while this recording ran is taken now, if nothing else records.
        if !supervisor.isBusy, await encoders.measurementPending { spawn { [encoders] in await encoders.prepare(recording: false) } }
    }

    /// Starts the next part of what `previous` recorded: its booked block through the schedule (if the block
    /// still runs), or a recording asked for by hand again with its title. The series clock of the rules
    /// carries over (the supervisor is rolling over until the start).
    private func startNextPart(_ next: RecordingSupervisor.Start, after previous: Recording) async {
        if next.block != nil {
            await parent?.nextPartOfBlockDue()
        } else {
            do {
                _ = try await start(StartRecordingRequest(title: next.title), initiator: next.initiator)
            } catch {
                logger.error("the next part could not start", metadata: ["after": "\(previous.recordingId)", "error": "\(error.problem.detail)"])
            }
        }
        supervisor.nextPartNotStarted()
        // No next part after all (the block is over, the start failed): the chain across the session's rooms ends.
        if !supervisor.isBusy { sessionLink = nil }
    }
}
