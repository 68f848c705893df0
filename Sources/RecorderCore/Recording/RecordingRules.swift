/// The room platform's rules for a recording in progress, decided from a clock alone (see
/// `../shared/reference/`): one recording lasts at most `maxDuration` (24 hours) and then rolls over into a new
/// part; the series of parts (one booking, class or online session recorded without a break) lasts at most
/// `maxSeriesDuration`, the platform's session limit (72 hours); when the online session's host leaves,
/// recording goes on for `hostGrace` (15 minutes) and then stops unless the host came back. The free-space reserve is checked
/// here too, so every reason a recording ends by itself is decided in one place.
///
/// The daemon calls ``decide(at:freeBytes:)`` a few times a second; tests drive it with instants of their own.
public struct RecordingRules: Equatable, Sendable {
    /// The limits, from `[recording]` (`max_duration`, `max_session`, `host_leave_grace`, `reserve_mb`).
    public struct Limits: Equatable, Sendable {
        public var maxDuration: Double = 24 * 3600
        public var maxSeriesDuration: Double = 72 * 3600
        public var hostGrace: Double = 15 * 60
        public var reserveBytes: Int64 = 512 << 20

        public init(maxDuration: Double = 24 * 3600, maxSeriesDuration: Double = 72 * 3600, hostGrace: Double = 15 * 60, reserveBytes: Int64 = 512 << 20) {
            self.maxDuration = maxDuration
            self.maxSeriesDuration = maxSeriesDuration
            self.hostGrace = hostGrace
            self.reserveBytes = reserveBytes
        }
    }

    /// What to do with the recording now.
    public enum Decision: Equatable, Sendable {
        case keepRecording
        /// The part reached `maxDuration`: finalize it as `limit_reached` and, if what it records still runs,
        /// start the next part at once.
        case rollOver
        /// End the recording (no next part).
        case stop(StopReason)
    }

    /// Why a recording ends by itself.
    public enum StopReason: Equatable, Sendable {
        /// The host left and did not come back within the grace period: the session's recording is over.
        case hostGone(grace: Double)
        /// The series of parts reached the platform's session limit.
        case seriesLimit(Double)
        /// Free space fell under the reserve.
        case lowDisk(free: Int64, reserve: Int64)

        /// The state the recording ends in: a session that ended is a complete recording; a limit is a limit;
        /// a recording cut short by the disk is aborted.
        public var finalState: RecordingState {
            switch self {
            case .hostGone: .complete
            case .seriesLimit: .limitReached
            case .lowDisk: .aborted
            }
        }

        /// The reason recorded with the recording.
        public var description: String {
            switch self {
            case .hostGone(let grace): "the host left and did not return within \(TimeSpan(grace))"
            case .seriesLimit(let limit): "the series of parts reached the platform's session limit of \(TimeSpan(limit)) ([recording] max_session)"
            case .lowDisk(let free, let reserve):
                "free space fell to \(free >> 20) MiB, under the reserve of \(reserve >> 20) MiB ([recording] reserve_mb)"
            }
        }
    }

    public let limits: Limits
    /// When the part being written started.
    public private(set) var partStartedAt: MonotonicInstant
    /// When the session (or the booked block) being recorded started; parts roll over within it.
    public let seriesStartedAt: MonotonicInstant
    /// When the host left, while they are away.
    public private(set) var hostLeftAt: MonotonicInstant?

    /// Rules for a recording whose first part starts at `start`.
    public init(limits: Limits, startingAt start: MonotonicInstant) {
        self.limits = limits
        partStartedAt = start
        seriesStartedAt = start
    }

    /// The rules for the next part of the same series, starting at `start`: the series clock and the host's
    /// absence carry over.
    public func nextPart(startingAt start: MonotonicInstant) -> RecordingRules {
        var next = self
        next.partStartedAt = start
        return next
    }

    /// The host left the session (the first time counts while they stay away).
    public mutating func hostLeft(at instant: MonotonicInstant) {
        if hostLeftAt == nil { hostLeftAt = instant }
    }

    /// The host is back: the grace period is cancelled.
    public mutating func hostReturned() { hostLeftAt = nil }

    /// What to do at `now`, with `freeBytes` free where the recording is written (nil when unknown).
    public func decide(at now: MonotonicInstant, freeBytes: Int64?) -> Decision {
        if let freeBytes, freeBytes < limits.reserveBytes {
            return .stop(.lowDisk(free: freeBytes, reserve: limits.reserveBytes))
        }
        if let left = hostLeftAt, now.seconds(since: left) >= limits.hostGrace {
            return .stop(.hostGone(grace: limits.hostGrace))
        }
        if now.seconds(since: seriesStartedAt) >= limits.maxSeriesDuration {
            return .stop(.seriesLimit(limits.maxSeriesDuration))
        }
        if now.seconds(since: partStartedAt) >= limits.maxDuration { return .rollOver }
        return .keepRecording
    }
}

