import ControlContract
import Foundation
import Logging
import Synchronization
import SystemIntegration

/// A restart of the daemon that waits for the recording in progress to end.
///
/// A package upgrade replaces `/usr/bin/roomrecd` under the running daemon; its postinst asks for this restart
/// (`roomrecctl restart`) instead of `systemctl restart`, which would cut a class being recorded. Once nothing
/// records, the daemon stops as on SIGTERM and exits with ``DaemonMain/ExitCode/restart``; the unit's
/// `RestartForceExitStatus=75` has systemd start the new binary. Outside systemd nothing would start it again,
/// so the request is refused there. Nor does it restart in the two minutes before a scheduled recording starts
/// (back-to-back classes): it waits for that recording to end too.
final class DaemonRestart: Sendable {
    /// What the restart waits for: the recording in progress, or the next scheduled start, if any.
    struct Obstacles: Sendable {
        /// The recording in progress.
        var recordingId: String?
        var nextScheduledStart: Date?

        /// Whether stopping now would cut a recording or stop the daemon just as a class is to begin.
        func block(at now: Date) -> Bool {
            recordingId != nil || nextScheduledStart.map { $0.timeIntervalSince(now) < DaemonRestart.scheduleMargin } ?? false
        }
    }

    /// No restart this close before a scheduled start (seconds).
    static let scheduleMargin: TimeInterval = 120

    private let requests: AsyncStream<Void>
    private let requestContinuation: AsyncStream<Void>.Continuation
    private let requested = Mutex<Bool>(false)
    private let due = Mutex<Bool>(false)
    private let notifier: SystemdNotifier
    private let logger: Logger

    init(notifier: SystemdNotifier, logger: Logger) {
        (requests, requestContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.notifier = notifier
        self.logger = logger
    }

    /// Whether the daemon stops for the restart (not for a SIGTERM that came while it waited): then it exits with
    /// `ExitCode.restart`.
    var isDue: Bool { due.withLock { $0 } }

    /// Takes the request; `obstacles` is what stands in its way now.
    func request(obstacles: Obstacles) throws(ControlError) -> RestartPlan {
        guard notifier.isSupervised else {
            throw .conflict("roomrecd is not run by systemd (no NOTIFY_SOCKET): nothing would start it again; restart it by hand")
        }
        let first = requested.withLock { wasRequested in
            defer { wasRequested = true }
            return !wasRequested
        }
        let recording = obstacles.recordingId
        let plan = if let recording {
            RestartPlan(restart: "after_recording", recordingId: recording)
        } else if obstacles.block(at: Date()) {
            RestartPlan(restart: "after_scheduled_recording", recordingId: nil)
        } else {
            RestartPlan(restart: "now", recordingId: nil)
        }
        if first {
            logger.notice("restart asked for: once no recording runs or is about to start", metadata: ["restart": "\(plan.restart)", "recording": "\(recording ?? "none")"])
            if let recording { notifier.status("Restart pending: after recording \(recording) ends") }
            else if plan.restart != "now" { notifier.status("Restart pending: after the recording scheduled to start soon") }
            requestContinuation.yield()
        }
        return plan
    }

    /// Returns once a restart was asked for and `obstacles` stand in its way no more (looked at every second);
    /// returns early when cancelled (the daemon stops for another reason).
    func waitUntilDue(obstacles: @Sendable () async -> Obstacles) async {
        var iterator = requests.makeAsyncIterator()
        guard await iterator.next() != nil else { return }
        while !Task.isCancelled, await obstacles().block(at: Date()) {
            try? await Task.sleep(for: .seconds(1))
        }
        guard !Task.isCancelled else { return }
        due.withLock { $0 = true }
        logger.notice("no recording runs or is about to start: roomrecd restarts")
        notifier.stopping(status: "Restarting (asked for by roomrecctl restart)")
    }
}
