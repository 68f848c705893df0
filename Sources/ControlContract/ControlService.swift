import Foundation
import RecorderCore

/// What the control socket may ask of the daemon. The daemon implements it; the HTTP layer only translates
/// requests into these calls and their results into responses, so it never reaches into the pipeline.
public protocol ControlService: Sendable {
    /// Never waits (the control socket answers it on its event loop): read from what the daemon keeps current.
    func status() -> StatusReport
    func startRecording(_ request: StartRecordingRequest, caller: Caller) async throws(ControlError) -> Recording
    /// Stops the recording in progress; `id` nil means whichever is in progress.
    func stopRecording(id: String?, caller: Caller) async throws(ControlError) -> Recording
    func recordings(_ query: RecordingQuery) async throws(ControlError) -> RecordingPage
    func recording(id: String) async throws(ControlError) -> Recording
    /// Deletes a finished recording's file, catalog entry and upload jobs (not what was delivered).
    func deleteRecording(id: String, caller: Caller) async throws(ControlError)
    func uploads() async throws(ControlError) -> [UploadJob]
    func applyUploadAction(_ action: UploadAction, jobId: String, caller: Caller) async throws(ControlError) -> UploadJob
    func upload(id: String) async throws(ControlError) -> UploadJobDetail
    /// Pauses (true) or resumes (false) the whole queue; returns whether it is paused.
    func pauseUploads(_ paused: Bool, caller: Caller) async -> Bool
    func devices() async -> [DeviceInfo]
    func health() async -> HealthReport
    /// Reads the configuration file again and applies what can change while running.
    func reloadConfiguration(caller: Caller) async throws(ControlError) -> ReloadReport
    /// Restarts the daemon (a new binary after a package upgrade) as soon as no recording runs.
    func restartWhenIdle(caller: Caller) async throws(ControlError) -> RestartPlan
    /// Events from now on (of `types`; nil: every kind but `levels`).
    func events(types: Set<ControlEvent.Kind>?) async -> AsyncStream<ControlEvent>
    /// The sources' sound levels now, and the alarms raised.
    func levels() -> LevelsReport
    /// A JPEG of the newest picture of `source` (`stage`, `camera` or a participant's id), `width` pixels wide.
    func preview(source: String, width: Int) async throws(ControlError) -> Data
    func metrics() async -> [Metric]
    /// Bookings that have not ended, earliest first.
    func schedule() async throws(ControlError) -> [Booking]
    /// Every planned recording in the window, and whether it will be recorded.
    func upcoming(_ window: UpcomingWindow) async throws(ControlError) -> [UpcomingRecording]
    /// Moves the end of the scheduled recording in progress.
    func extendRecording(_ request: ExtendRequest, caller: Caller) async throws(ControlError) -> RecordingExtension
    func addBooking(_ request: BookingRequest, caller: Caller) async throws(ControlError) -> Booking
    /// Removes a booking; a recording it started stops when no other booking covers the time.
    func removeBooking(id: String, caller: Caller) async throws(ControlError)
    /// Moves the room to a breakout room of its online session (`room` nil: back to the main room); the recording
    /// in progress ends and the next starts there.
    func moveSession(to room: String?, name: String?, caller: Caller) async throws(ControlError) -> SessionStatus
}

extension ControlService {
    public func moveSession(to room: String?, name: String?, caller: Caller) async throws(ControlError) -> SessionStatus {
        throw .conflict("no online session is configured ([session] connector)")
    }

    public func levels() -> LevelsReport { LevelsReport(time: Date(), levels: [], alarms: []) }
    public func preview(source: String, width: Int) async throws(ControlError) -> Data { throw .notFound("no previews here") }
}

/// `GET /v1/health`: whether the daemon can do its job, with the check that says why not.
public struct HealthReport: Codable, Equatable, Sendable {
    /// `ok`; `degraded` (it records, but something needs a look: an alarm); or `failing`.
    public var status: String
    /// Each check's result: `ok`, or what is wrong.
    public var checks: [String: String]
    /// What needs a look though the daemon works (the alarms raised), by name.
    public var warnings: [String: String]?

    public init(checks: [String: String], warnings: [String: String] = [:]) {
        self.checks = checks
        self.warnings = warnings.isEmpty ? nil : warnings
        status = !checks.values.allSatisfy { $0 == "ok" } ? "failing" : warnings.isEmpty ? "ok" : "degraded"
    }
}

/// `POST /v1/restart`: when the daemon restarts. Never during a recording: the package's upgrade asks for it, and a
/// class in progress must not be cut by an `apt upgrade` that unattended-upgrades runs at 6:30.
public struct RestartPlan: Codable, Equatable, Sendable {
    /// `now` (nothing records), `after_recording` (the one in progress), or `after_scheduled_recording` (one is
    /// scheduled to start within two minutes: after it ends).
    public var restart: String
    /// The recording it waits for.
    public var recordingId: String?

    public init(restart: String, recordingId: String?) {
        self.restart = restart
        self.recordingId = recordingId
    }
}

/// `POST /v1/config/reload`: what the new configuration changed.
public struct ReloadReport: Codable, Equatable, Sendable {
    /// Keys whose new values are in effect (for recordings: from the next one on).
    public var applied: [String]
    /// Keys whose new values need a restart of the service.
    public var restartNeeded: [String]

    public init(applied: [String], restartNeeded: [String]) {
        self.applied = applied
        self.restartNeeded = restartNeeded
    }
}
