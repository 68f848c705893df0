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
/// so the request is refused there.
final class DaemonRestart: Sendable {
    private let requests: AsyncStream<Void>
    private let requestContinuation: AsyncStream<Void>.Continuation
    private let requested = Mutex<Bool>(false)
    private let notifier: SystemdNotifier
    private let logger: Logger

    init(notifier: SystemdNotifier, logger: Logger) {
        (requests, requestContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.notifier = notifier
        self.logger = logger
    }

    /// Whether the daemon is stopping for a restart: then it exits with `ExitCode.restart`.
    var isRequested: Bool { requested.withLock { $0 } }

    /// Takes the request; `recording` is the recording in progress, which the restart waits for.
    func request(recording: String?) throws(ControlError) -> RestartPlan {
        guard notifier.isSupervised else {
            throw .conflict("roomrecd is not run by systemd (no NOTIFY_SOCKET): nothing would start it again; restart it by hand")
        }
        let first = requested.withLock { wasRequested in
            defer { wasRequested = true }
            return !wasRequested
        }
        if first {
            logger.notice("restart asked for: once no recording runs", metadata: ["recording": "\(recording ?? "none")"])
            if let recording { notifier.status("Restart pending: after recording \(recording) ends") }
            requestContinuation.yield()
        }
        return RestartPlan(restart: recording == nil ? "now" : "after_recording", recordingId: recording)
    }

    /// Returns once a restart was asked for and `recordingNow` says nothing records (looked at every second);
    /// returns early when cancelled (the daemon stops for another reason).
    func waitUntilDue(recordingNow: @Sendable () async -> Bool) async {
        var iterator = requests.makeAsyncIterator()
        guard await iterator.next() != nil else { return }
        while !Task.isCancelled, await recordingNow() {
            try? await Task.sleep(for: .seconds(1))
        }
        guard !Task.isCancelled else { return }
        logger.notice("no recording runs: roomrecd restarts")
        notifier.stopping(status: "Restarting (asked for by roomrecctl restart)")
    }
}
