import RecorderCore

/// The controller as the schedule and the online room see it.
extension RecordingController: ScheduleRecorder, SessionRecorder {
    func scheduleView() -> ScheduleService.RecorderView? {
        // While a start is being made, the schedule waits for it rather than starting a second one.
        guard supervisor.isBusy else { return nil }
        return .init(recordingID: active?.recording.recordingId ?? "", isRecording: supervisor.isRecording, block: supervisor.current?.start.block)
    }

    func sessionView() -> (recording: Recording?, shuttingDown: Bool) { (active?.recording, supervisor.isShuttingDown) }
}
