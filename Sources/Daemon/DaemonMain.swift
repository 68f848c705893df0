import Capture
import Catalog
import ControlAPI
import Foundation
import Logging
import Media
import RecorderCore
import Session
import SystemIntegration
import Uploads

/// Runs `roomrecd`: reads the configuration, opens the catalog, recovers what a crash left, starts the upload
/// queue and the control socket, tells systemd it is ready, keeps the watchdog fed, and on SIGTERM or SIGINT
/// finishes the recording in progress as a playable file before it exits.
public enum DaemonMain {
    /// Exit codes (sysexits.h), so `RestartPreventExitStatus=` can keep systemd from restarting a bad config.
    public enum ExitCode: Int32 {
        case success = 0
        case failure = 1
        case cannotCreate = 73
        case badConfig = 78
    }

    public static func run(configPath: String) async -> ExitCode {
        ProcessMemory.returnLargeBuffersToTheKernel()
        let config: RoomRecorderConfig
        do {
            config = try RoomRecorderConfig.load(path: configPath)
        } catch {
            FileHandle.standardError.write(Data("roomrecd: \(error)\n".utf8))
            return .badConfig
        }
        let level = Logger.Level(rawValue: config.daemon.logLevel.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = JournalLogHandler.stderrIsJournal
                ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "roomrecd")
        FFmpegLibrary.quietLogging()

        for directory in [config.daemon.stateDirectory, config.recording.outputDirectory, config.library.path] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                logger.critical("cannot create a directory", metadata: ["path": "\(directory)", "error": "\(error)"])
                return .cannotCreate
            }
        }
        let catalog: CatalogDatabase
        do {
            catalog = try CatalogDatabase(path: "\(config.daemon.stateDirectory)/roomrec.sqlite")
        } catch {
            logger.critical("cannot open the catalog", metadata: ["path": "\(config.daemon.stateDirectory)/roomrec.sqlite", "error": "\(error)"])
            return .failure
        }

        let notifier = SystemdNotifier()
        let events = EventHub()
        // One bucket for every upload, kept across reloads of the library.
        let throttle = config.uploads.maxBytesPerSecond > 0 ? Throttle(bytesPerSecond: config.uploads.maxBytesPerSecond) : nil
        let targets: [any UploadTarget]
        do {
            targets = try UploadTargets.make(config.library, throttle: throttle)
        } catch {
            FileHandle.standardError.write(Data("roomrecd: \(error)\n".utf8))
            logger.critical("the media library cannot be used", metadata: ["error": "\(error)"])
            return .badConfig
        }
        let queue = UploadQueue(catalog: catalog, targets: targets, workers: config.uploads.workers, windows: config.uploads.windows,
                                pauseFlag: "\(config.daemon.stateDirectory)/uploads-paused", events: events, logger: Logger(label: "roomrecd.uploads"))
        let daemon = RecorderDaemon(config: config, configPath: configPath, catalog: catalog, uploads: queue, throttle: throttle,
                                    events: events, logger: logger, notifier: notifier)
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT, SIGHUP])
        // A write past a file-size limit (LimitFSIZE=, ulimit -f) must fail like a full disk does, so the recording
        // is cut back to a playable file, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        let uploadTask = Task { await queue.run() }
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlServer(router: ControlRoutes.router(for: daemon), access: Self.accessPolicy(for: config, logger: logger),
                                   logger: Logger(label: "roomrecd.control"))
        let listener = Self.listener(for: config, logger: logger)
        let serverTask = Task {
            do {
                try await server.run(listener) { listeningContinuation.yield() }
            } catch is CancellationError {
            } catch {
                logger.critical("the control socket failed", metadata: ["socket": "\(config.control.socketPath)", "error": "\(error)"])
            }
            listeningContinuation.finish()
        }
        var listeningEvents = listening.makeAsyncIterator()
        guard await listeningEvents.next() != nil else {
            uploadTask.cancel()
            return .failure
        }
        notifier.ready(status: "Idle")
        // After READY: finalizing long recordings a crash left behind must not hold up the start.
        await daemon.startRecovery()
        // Which encoder this machine records with: tried after READY, so a slow GPU driver never delays start-up.
        Task { await daemon.prepareEncoders() }
        // Cameras and microphones coming and going, from the kernel's device events.
        let hotplug: HotplugMonitor?
        do {
            hotplug = try HotplugMonitor()
            hotplug?.start { event in Task { await daemon.deviceChanged(event) } }
        } catch {
            hotplug = nil
            logger.warning("device events cannot be watched here; the device list is read on request", metadata: ["error": "\(error)"])
        }
        defer { hotplug?.stop() }
        logger.notice("roomrecd ready", metadata: [
            "version": "\(RoomRecorderVersion.current)", "room": "\(config.room.id)", "socket": "\(config.control.socketPath)",
            "config": "\(configPath)",
        ])

        let watchdogTask = Task {
            guard let interval = notifier.watchdogInterval else { return }
            while !Task.isCancelled {
                // Fed only while the daemon answers and a running recording still receives frames: a stalled
                // pipeline lets systemd restart the service, and recovery then saves the file.
                if await daemon.isMakingProgress(within: 10) { notifier.watchdog() }
                try? await Task.sleep(for: .seconds(interval))
            }
        }

        let schedulerTask = Task { await daemon.runScheduler() }
        let calendarTask = Task { await daemon.runCalendarFeed() }
        let retentionTask = Task { await daemon.runRetention() }
        let sessionTask = Task {
            guard let connector = Self.sessionConnector(for: config) else { return }
            await daemon.runSession(connector)
        }
        let textfileTask = Task {
            guard let path = config.control.metricsTextfile else { return }
            while !Task.isCancelled {
                MetricsTextfile.write(PrometheusText.render(await daemon.metrics()), to: path, logger: logger)
                try? await Task.sleep(for: .seconds(15))
            }
        }

        var exitCode = ExitCode.success
        for await signal in signals.events {
            if signal == SIGHUP {
                do {
                    _ = try await daemon.reloadConfiguration(caller: Caller(uid: 0, gid: 0, pid: 0, role: .admin))
                } catch {
                    logger.error("SIGHUP: the configuration was not reloaded; nothing changed", metadata: ["error": "\(error.problem.detail)"])
                }
                continue
            }
            logger.notice("stopping", metadata: ["signal": "\(signal)"])
            notifier.stopping(status: "Finishing the recording in progress")
            schedulerTask.cancel()
            calendarTask.cancel()
            retentionTask.cancel()
            await daemon.shutdown(reason: "roomrecd was stopped (signal \(signal)) while recording")
            break
        }
        if serverTask.isCancelled { exitCode = .failure }
        sessionTask.cancel()
        await sessionTask.value  // leaves the session, so the others see the room go at once
        watchdogTask.cancel()
        textfileTask.cancel()
        serverTask.cancel()
        uploadTask.cancel()
        await uploadTask.value
        if case .path(let path, _, _, _) = listener { unlink(path) }
        logger.notice("roomrecd stopped")
        return exitCode
    }

    /// The connector of the configured online session, if one is.
    private static func sessionConnector(for config: RoomRecorderConfig) -> (any SessionConnector)? {
        let session = config.session
        switch session.connector {
        case .none: return nil
        case .janus:
            guard let url = session.url else { return nil }
            var settings = JanusVideoRoomConnector.Settings(url: url, room: session.room, pin: session.pin, token: session.token,
                                                            display: session.display ?? config.room.title,
                                                            hosts: Set(session.hosts), moderators: Set(session.moderators))
            settings.iceAddresses = session.iceAddresses
            return JanusVideoRoomConnector(settings: settings, logger: Logger(label: "roomrecd.session"))
        }
    }

    /// The socket systemd passed, or the configured path bound by the daemon itself.
    private static func listener(for config: RoomRecorderConfig, logger: Logger) -> ControlServer.Listener {
        if let fd = SocketActivation.listenFileDescriptors().first {
            logger.info("using the control socket passed by systemd", metadata: ["fd": "\(fd)"])
            return .activated(fd)
        }
        let directory = (config.control.socketPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Only root may hand the socket to another owner; anyone may give it a group they are in.
        var owner = UserNames.uid(ofUser: config.control.socketOwner)
        if owner == nil { logger.warning("no such user for the control socket; keeping the daemon's", metadata: ["user": "\(config.control.socketOwner)"]) }
        if getuid() != 0 { owner = nil }
        let group = UserNames.gid(ofGroup: config.control.socketGroup)
        if group == nil { logger.warning("no such group for the control socket; keeping the daemon's", metadata: ["group": "\(config.control.socketGroup)"]) }
        return .path(config.control.socketPath, mode: mode_t(config.control.socketMode), owner: owner, group: group)
    }

    /// Roles by group: the configured admin and operator groups, as far as they exist on this computer.
    private static func accessPolicy(for config: RoomRecorderConfig, logger: Logger) -> AccessPolicy {
        func groups(_ name: String, _ role: String) -> Set<UInt32> {
            guard let gid = UserNames.gid(ofGroup: name) else {
                logger.warning("no such group; nobody gets the role through it", metadata: ["group": "\(name)", "role": "\(role)"])
                return []
            }
            return [gid]
        }
        return AccessPolicy(adminGroups: groups(config.control.adminGroup, "admin"), operatorGroups: groups(config.control.operatorGroup, "operator"))
    }
}

/// Turns process signals into an async sequence (handled on a dispatch queue, not in a signal handler).
final class SignalWatcher {
    let events: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        events = stream
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }
}

/// Writes metrics for node_exporter's textfile collector: to a temporary file, then renamed, so the collector
/// never reads half a file.
enum MetricsTextfile {
    static func write(_ text: String, to path: String, logger: Logger) {
        let temporary = path + ".\(getpid()).tmp"
        do {
            try text.write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, path) == 0 else { throw FileSyncError(errno: errno) }
        } catch {
            unlink(temporary)
            logger.warning("cannot write the metrics textfile", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    private struct FileSyncError: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }
}
