/// The life of the recording in progress as one state machine: which part of what is being recorded, who asked
/// it to stop and why, and what follows when its pipeline ends (the state it is finalized in, and whether a next
/// part starts at once).
///
/// A value type in the style of swift-nio's `NIOTypedHTTPServerUpgraderStateMachine`: each state carries only the
/// data valid in it, events come in as mutating calls, and each call answers with the action its caller must take.
/// The daemon's ``RecordingController`` does the I/O; every decision is here, driven by the tests with instants of
/// their own.
///
/// ```
///            startAsked                started
///   idle ───────────────> starting ───────────────> recording ──stopAsked──> stopping
///    ▲  ▲                  │ startFailed               │                        │
///    │  └──────────────────┘                           │ pipelineEnded          │ pipelineEnded
///    │                                                 ▼                        ▼
///    ├──────────────── (no next part) ────────── finalize as X with reason Y ───┘
///    │                                                 │ next part (part limit of a booking,
///    │   nextPartNotStarted                            ▼ encoder changed)
///    └─────────────────────────────────────────── rollingOver ──startAsked──> starting (rules carried over)
/// ```
public struct RecordingSupervisor: Sendable {
    /// What is asked to be recorded.
    public struct Start: Equatable, Sendable {
        /// Who asked: a user's name, `schedule` or `session`.
        public var initiator: String
        /// The meeting title the recording is named after.
        public var title: String
        /// The booked block it records; nil for a recording asked for by hand.
        public var block: SchedulePlanner.Block?

        public init(initiator: String, title: String, block: SchedulePlanner.Block? = nil) {
            self.initiator = initiator
            self.title = title
            self.block = block
        }
    }

    /// The part being written.
    public struct Part: Equatable, Sendable {
        public var recordingID: String
        public var start: Start
        /// The platform's limits, the host's absence and the disk reserve, decided against the clock.
        public var rules: RecordingRules
    }

    /// Who or what asked the recording to stop.
    public enum StopIntent: Equatable, Sendable {
        /// A person, through the control socket.
        case person(String)
        /// The booked time is over.
        case schedule
        /// The platform's rules: the host did not return, the series limit, or free space under the reserve
        /// (the disk guard).
        case rule(RecordingRules.StopReason)
        /// The part reached `[recording] max_duration`.
        case partLimit
        /// roomrecd is stopping.
        case shutdown(String)
        /// The room moved to another room of its online session (`reason`, such as "moved to breakout Group A"):
        /// this recording is complete, and the next one starts at once in the other room.
        case roomMoved(String)
    }

    /// How a recording's pipeline ended.
    public enum PipelineOutcome: Equatable, Sendable {
        /// It ran until it was asked to stop.
        case finished
        /// Something stopped it early (a write that failed, an encoder without a fall-back).
        case failed(String)
        /// It must go on with another encoder setup, in a new part: the video encoder failed and there is a
        /// fall-back (`failure` says how it failed), or libx264 fell behind and steps to a faster preset.
        case encoderChanged(failure: String?, change: String)
    }

    /// What the controller does when a pipeline ended.
    public struct Ending: Equatable, Sendable {
        public var recordingID: String
        /// The state the recording is finalized in, and why.
        public var finalState: RecordingState
        public var reason: String?
        /// The next part to start at once (before this one is finalized), with its rules carried over.
        public var nextPart: Start?
        /// Whether the booked block failed, so the schedule waits before trying it again.
        public var blockFailed: Bool
        /// Whether the session is to be told the room no longer records (it was not told at the stop).
        public var announceStop: Bool
    }

    /// Why a start is refused.
    public enum Refusal: Equatable, Sendable, Error {
        /// A recording is already in progress, in the given state.
        case busy(recordingID: String?, RecordingState)
        case shuttingDown
    }

    /// What the controller does for a stop it asked for.
    public enum StopAction: Equatable, Sendable {
        /// Stop the pipeline after the frame in hand; the bookings listed are not recorded again.
        case stopPipeline(Part, dismissBookings: [String])
        /// Nothing is being recorded.
        case notRecording
        /// It is stopping already, or not yet started.
        case alreadyStopping(recordingID: String?, RecordingState)
    }

    enum State: Equatable, Sendable {
        case idle
        /// The pipeline is being opened; `carried` are the rules of the part this one follows.
        case starting(Start, carried: RecordingRules?)
        case recording(Part)
        case stopping(Part, StopIntent)
        /// A part ended and the next one of the same recording is being started; its series clock carries over.
        case rollingOver(from: Part)
    }

    private(set) var state: State = .idle
    /// Set once roomrecd is stopping: no new recording starts.
    public private(set) var isShuttingDown = false
    /// The limits a first part starts with (`[recording]` and `[session]`; a reload changes them for the next
    /// recording).
    public var limits: RecordingRules.Limits

    public init(limits: RecordingRules.Limits) { self.limits = limits }

    /// The part being written, while one is recording or stopping.
    public var current: Part? {
        switch state {
        case .recording(let part), .stopping(let part, _): part
        case .idle, .starting, .rollingOver: nil
        }
    }

    /// Whether a recording is being started, written or stopped.
    public var isBusy: Bool {
        switch state {
        case .idle, .rollingOver: false
        case .starting, .recording, .stopping: true
        }
    }

    /// Whether the part in progress is recording and not asked to stop.
    public var isRecording: Bool { if case .recording = state { true } else { false } }

    // MARK: Starting

    /// A recording is asked for: returns the rules it starts with carried from the part it follows (nil for a
    /// first part), or why it cannot start.
    public mutating func startAsked(_ start: Start) -> Result<RecordingRules?, Refusal> {
        if isShuttingDown { return .failure(.shuttingDown) }
        switch state {
        case .idle:
            state = .starting(start, carried: nil)
            return .success(nil)
        case .rollingOver(let previous):
            state = .starting(start, carried: previous.rules)
            return .success(previous.rules)
        case .starting: return .failure(.busy(recordingID: nil, .starting))
        case .recording(let part): return .failure(.busy(recordingID: part.recordingID, .active))
        case .stopping(let part, _): return .failure(.busy(recordingID: part.recordingID, .ending))
        }
    }

    /// The pipeline of the start being made is running from `origin`: the recording is in progress. Answers the
    /// stop to make at once when roomrecd began stopping meanwhile.
    public mutating func started(recordingID: String, at origin: MonotonicInstant) -> StopAction? {
        guard case .starting(let start, let carried) = state else { return nil }
        let rules = carried?.nextPart(startingAt: origin) ?? RecordingRules(limits: limits, startingAt: origin)
        state = .recording(Part(recordingID: recordingID, start: start, rules: rules))
        return isShuttingDown ? stopAsked(.shutdown("roomrecd was stopped while the recording started")) : nil
    }

    /// The start being made failed (its row is stored `failed` by the caller).
    public mutating func startFailed() {
        guard case .starting = state else { return }
        state = .idle
    }

    /// The next part was not started (the booking ended, or its start failed): nothing is recorded now.
    public mutating func nextPartNotStarted() {
        guard case .rollingOver = state else { return }
        state = .idle
    }

    // MARK: Following the part

    /// A booked block follows the recording in progress (it adopts a recording asked for by hand, or its times
    /// changed).
    public mutating func follow(_ block: SchedulePlanner.Block) {
        guard case .recording(var part) = state else { return }
        part.start.block = block
        state = .recording(part)
    }

    /// The session's host left (their grace starts) or came back.
    public mutating func hostLeft(at instant: MonotonicInstant) { updateRules { $0.hostLeft(at: instant) } }
    public mutating func hostReturned() { updateRules { $0.hostReturned() } }

    private mutating func updateRules(_ change: (inout RecordingRules) -> Void) {
        switch state {
        case .recording(var part): change(&part.rules); state = .recording(part)
        case .stopping(var part, let intent): change(&part.rules); state = .stopping(part, intent)
        case .idle, .starting, .rollingOver: break
        }
    }

    /// What the rules ask of the recording in progress at `now`, with `freeBytes` free: nil to keep recording.
    public func ruleIntent(at now: MonotonicInstant, freeBytes: Int64?) -> StopIntent? {
        guard case .recording(let part) = state else { return nil }
        switch part.rules.decide(at: now, freeBytes: freeBytes) {
        case .keepRecording: return nil
        case .rollOver: return .partLimit
        case .stop(let reason): return .rule(reason)
        }
    }

    // MARK: Stopping

    /// Someone or something asks the recording in progress to stop.
    public mutating func stopAsked(_ intent: StopIntent) -> StopAction {
        if case .shutdown = intent { isShuttingDown = true }
        switch state {
        case .idle, .rollingOver: return .notRecording
        case .starting: return .alreadyStopping(recordingID: nil, .starting)
        case .stopping(let part, _): return .alreadyStopping(recordingID: part.recordingID, .ending)
        case .recording(let part):
            state = .stopping(part, intent)
            return .stopPipeline(part, dismissBookings: Self.dismissed(by: intent, part: part))
        }
    }

    /// roomrecd is stopping: nothing new starts, and the part in progress (if any) is stopped.
    public mutating func shutdown(reason: String) -> StopAction { stopAsked(.shutdown(reason)) }

    /// A booked block stopped by a person or by the session's end is not started again; a block cut short by low
    /// disk is (its start checks the space), and one whose time is over needs no mark.
    static func dismissed(by intent: StopIntent, part: Part) -> [String] {
        guard let block = part.start.block else { return [] }
        switch intent {
        case .person, .rule(.hostGone), .rule(.seriesLimit): return block.eventIDs
        case .schedule, .rule(.lowDisk), .partLimit, .shutdown, .roomMoved: return []
        }
    }

    /// The pipeline of the part in progress ended: the state to finalize it in, and what comes next.
    public mutating func pipelineEnded(_ outcome: PipelineOutcome) -> Ending? {
        let part: Part
        let intent: StopIntent?
        switch state {
        case .recording(let p): (part, intent) = (p, nil)
        case .stopping(let p, let i): (part, intent) = (p, i)
        case .idle, .starting, .rollingOver: return nil
        }
        let (finalState, reason) = Self.finalState(of: part, intent: intent, outcome: outcome)
        let next = isShuttingDown ? nil : Self.nextPart(after: part, intent: intent, outcome: outcome)
        state = next == nil ? .idle : .rollingOver(from: part)
        var blockFailed = false
        if case .failed = outcome, part.start.block != nil { blockFailed = true }
        return Ending(recordingID: part.recordingID, finalState: finalState, reason: reason, nextPart: next,
                      blockFailed: blockFailed, announceStop: intent == nil && next == nil)
    }

    /// The state a part ends in: a failure or an encoder change aborts it (with both reasons when both are
    /// known); otherwise the stop's intent decides.
    static func finalState(of part: Part, intent: StopIntent?, outcome: PipelineOutcome) -> (RecordingState, String?) {
        switch outcome {
        case .failed(let failure): return (.aborted, failure)
        case .encoderChanged(let failure, let change): return (.aborted, [failure, change].compactMap { $0 }.joined(separator: "; "))
        case .finished: break
        }
        switch intent {
        case nil, .person, .schedule: return (.complete, nil)
        case .partLimit:
            return (.limitReached, "reached the limit of one recording (\(TimeSpan(part.rules.limits.maxDuration)))"
                    + (part.start.block == nil ? "" : "; the booking goes on in a new recording"))
        case .rule(let rule): return (rule.finalState, rule.description)
        case .shutdown(let reason): return (.aborted, reason)
        case .roomMoved(let reason): return (.complete, reason)
        }
    }

    /// A booked block that outlasts the part limit goes on in a new part at once, and so does any recording
    /// whose encoder had to change, unless a person, the schedule or the rules asked it to stop. A recording
    /// whose room moved to another room of its session goes on there.
    static func nextPart(after part: Part, intent: StopIntent?, outcome: PipelineOutcome) -> Start? {
        switch (outcome, intent) {
        case (.failed, _): return nil
        case (.encoderChanged, nil), (.encoderChanged, .partLimit?), (_, .roomMoved?): return part.start
        case (.encoderChanged, _): return nil
        case (.finished, .partLimit?): return part.start.block == nil ? nil : part.start
        case (.finished, _): return nil
        }
    }
}
