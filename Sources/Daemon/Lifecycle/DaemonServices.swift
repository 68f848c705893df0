import ControlAPI
import ControlContract
import Foundation
import Logging
import RecorderCore
import ServiceLifecycle
import SystemIntegration
import UnixSignals

/// A loop that runs until the service group shuts down (the schedule, the calendar, retention, the upload queue,
/// the online room, the watchdog, the metrics textfile): cancelled at its turn in the shutdown order.
struct LoopService: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async -> Void

    init(_ name: String, _ body: @escaping @Sendable () async -> Void) {
        description = name
        self.body = body
    }

    func run() async throws { try await cancelWhenGracefulShutdown { await body() } }
}

/// The recording controller as a service: on shutdown (or cancellation) it refuses new recordings, stops the one
/// in progress and returns once every file is finalized and queued.
struct RecordingService: Service, CustomStringConvertible {
    let controller: RecordingController
    let notifier: SystemdNotifier
    let logger: Logger
    /// Told as the stop begins (the Opencast agent says `shutting_down`).
    var onStopping: @Sendable () async -> Void = {}
    var description: String { "recording" }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Returns on graceful shutdown, throws when the group is cancelled: either way, finish up.
                try? await gracefulShutdown()
                logger.notice("stopping")
                notifier.stopping(status: "Finishing the recording in progress")
                await onStopping()
                await controller.shutdown(reason: "roomrecd was stopped while recording")
            }
            await controller.run()
        }
    }
}

/// The control socket: READY goes to systemd once it listens; it stops answering first when roomrecd stops.
struct ControlSocketService: Service, CustomStringConvertible {
    let server: ControlServer
    let listener: ControlServer.Listener
    let onListening: @Sendable () async -> Void
    var description: String { "control socket" }

    func run() async throws {
        let (listening, continuation) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [server, listener] in
                defer { continuation.finish() }
                do {
                    try await cancelWhenGracefulShutdown { try await server.run(listener) { continuation.yield() } }
                } catch is CancellationError {
                    // Stopped by the shutdown: not an error.
                }
            }
            for await _ in listening {
                await onListening()
                break
            }
        }
        if case .path(let path, _, _, _) = listener { unlink(path) }
    }
}

/// SIGHUP reloads the configuration; nothing changes when the new one is bad.
struct ReloadOnHangupService: Service, CustomStringConvertible {
    let daemon: RecorderDaemon
    let logger: Logger
    var description: String { "reload on SIGHUP" }

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        try await cancelWhenGracefulShutdown {
            for await _ in hangups {
                do throws(ControlError) {
                    _ = try await daemon.reloadConfiguration(caller: Caller(uid: 0, gid: 0, pid: 0, role: .admin))
                } catch {
                    logger.error("SIGHUP: the configuration was not reloaded; nothing changed", metadata: ["error": "\(error.problem.detail)"])
                }
            }
        }
    }
}
