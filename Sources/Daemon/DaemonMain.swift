import Capture
import Catalog
import ControlAPI
import ControlContract
import Foundation
import Logging
import Media
import Networking
import RecorderCore
import ServiceLifecycle
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
        /// Stopped for a restart (`roomrecctl restart`, after a package upgrade): the unit's
        /// `RestartForceExitStatus=75` has systemd start it again.
        case restart = 75
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
        let opencastStore = OpencastIngestRecords(catalog: catalog)
        let targets: [any UploadTarget]
        do {
            targets = try UploadTargets.make(config, throttle: throttle, opencastStore: opencastStore)
        } catch {
            FileHandle.standardError.write(Data("roomrecd: \(error)\n".utf8))
            logger.critical("the media library cannot be used", metadata: ["error": "\(error)"])
            return .badConfig
        }
        let queue = UploadQueue(catalog: catalog, targets: targets, workers: config.uploads.workers, windows: config.uploads.windows,
                                pauseFlag: "\(config.daemon.stateDirectory)/uploads-paused",
                                onChange: { events.publish(.upload, upload: $0) }, logger: Logger(label: "roomrecd.uploads"))
        let daemon = await RecorderDaemon(config: config, configPath: configPath, catalog: catalog, uploads: queue, throttle: throttle,
                                          events: events, logger: logger, notifier: notifier, connector: Self.sessionConnector(for: config),
                                          opencastStore: opencastStore)
        // A write past a file-size limit (LimitFSIZE=, ulimit -f) must fail like a full disk does, so the recording
        // is cut back to a playable file, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        // Cameras and microphones coming and going, from the kernel's device events.
        let hotplug: HotplugMonitor?
        do {
            hotplug = try HotplugMonitor()
        } catch {
            hotplug = nil
            logger.warning("device events cannot be watched here; the device list is read on request", metadata: ["error": "\(error)"])
        }
        let (deviceEvents, deviceContinuation) = AsyncStream.makeStream(of: DeviceEvent.self)
        hotplug?.start { deviceContinuation.yield($0) }
        defer { hotplug?.stop() }

        // Status has the queue's counts and the devices from its first answer on.
        await daemon.reporter.board.refresh(catalog: catalog, uploads: queue, devices: true)
        let server = ControlServer(router: ControlRoutes.router(for: daemon), access: Self.accessPolicy(for: config, logger: logger),
                                   logger: Logger(label: "roomrecd.control"))
        let control = ControlSocketService(server: server, listener: Self.listener(for: config, logger: logger)) {
            notifier.ready(status: "Idle")
            // After READY: finalizing long recordings a crash left behind, and trying the machine's encoders
            // (a slow GPU driver), must not hold up the start.
            await daemon.startRecoveryAndEncoders()
            logger.notice("roomrecd ready", metadata: [
                "version": "\(RoomRecorderVersion.current)", "room": "\(config.room.id)", "socket": "\(config.control.socketPath)",
                "config": "\(configPath)",
            ])
        }
        // Started in this order and shut down in the reverse one (the pipeline's order): the socket stops
        // answering, the schedule stops deciding, the recording in progress is finalized and queued, the room
        // leaves its online session, and the upload in progress pauses at its last checkpoint.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            // First, so stopped last: `offline` is posted after the recording in progress is finished and queued.
            .init(service: LoopService("Opencast agent") { await daemon.opencast.run() }),
            .init(service: LoopService("uploads") { await queue.run() }),
            .init(service: LoopService("devices") { for await event in deviceEvents { await daemon.deviceChanged(event) } }),
            .init(service: LoopService("monitor") {
                await daemon.monitor.run(scheduleDue: { await daemon.schedule.due() }, recording: { await daemon.controller.current != nil })
            }),
            .init(service: LoopService("status board") { await daemon.reporter.board.run(catalog: catalog, uploads: queue, events: events) }),
            .init(service: LoopService("metrics textfile") {
                guard let path = config.control.metricsTextfile else { return }
                while !Task.isCancelled {
                    MetricsTextfile.write(PrometheusText.render(await daemon.metrics()), to: path, logger: logger)
                    try? await Task.sleep(for: .seconds(15))
                }
            }, successTerminationBehavior: .ignore),
            .init(service: LoopService("watchdog") {
                guard let interval = notifier.watchdogInterval else { return }
                while !Task.isCancelled {
                    // Fed only while the daemon answers and a running recording still receives frames: a stalled
                    // pipeline lets systemd restart the service, and recovery then saves the file.
                    if await daemon.controller.isMakingProgress(within: 10) { notifier.watchdog() }
                    try? await Task.sleep(for: .seconds(interval))
                }
            }, successTerminationBehavior: .ignore),
            // Returns when a restart was asked for and nothing records or is about to; its return stops the group in
            // order.
            .init(service: LoopService("restart when idle") {
                await daemon.restart.waitUntilDue { await daemon.restartObstacles() }
            }, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let session = daemon.session { services.append(.init(service: LoopService("online room") { await session.run() })) }
        services += [
            .init(service: RecordingService(controller: daemon.controller, notifier: notifier, logger: logger,
                                            onStopping: { await daemon.opencast.shuttingDown() })),
            .init(service: LoopService("retention") { await daemon.retention.run() }),
            .init(service: LoopService("calendar feeds") {
                await CalendarPoller(schedule: daemon.schedule, config: daemon.config, events: events, logger: logger).run()
            }),
            .init(service: LoopService("Kaltura schedule") {
                await KalturaSchedulePoller(schedule: daemon.schedule, config: daemon.config, events: events, logger: logger).run()
            }),
            .init(service: LoopService("Opencast calendar") {
                await OpencastCalendarPoller(agent: daemon.opencast, config: daemon.config, events: events, logger: logger).run()
            }),
            .init(service: LoopService("schedule") { await daemon.schedule.run() }),
            .init(service: ReloadOnHangupService(daemon: daemon, logger: logger)),
            .init(service: control),
        ]
        if let panel = Self.panelListener(for: config, logger: logger) {
            // The panel is optional: an address it cannot serve is logged and never stops the recorder.
            services.append(.init(service: LoopService("room panel") {
                do {
                    try await server.run(panel)
                } catch is CancellationError {
                } catch {
                    logger.error("the room panel's address cannot be served; the recorder goes on without it", metadata: ["error": "\(error)"])
                }
            }, successTerminationBehavior: .ignore))
        }
        let configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: Logger(label: "roomrecd.services"))
        let group = ServiceGroup(configuration: configuration)
        var exitCode = ExitCode.success
        do {
            try await group.run()
        } catch {
            logger.critical("roomrecd stopped on an error", metadata: ["error": "\(error)"])
            exitCode = .failure
        }
        // Last in the stop's order: every service has returned, so nothing reads or writes the catalog now.
        do { try catalog.close() } catch { logger.error("the catalog did not close cleanly", metadata: ["error": "\(error)"]) }
        if exitCode == .success, daemon.restart.isDue {
            logger.notice("roomrecd stopped for its restart")
            return .restart
        }
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
        case .whip:
            guard let url = session.url else { return nil }
            var settings = WHIPConnector.Settings(url: url, tokenFile: session.tokenFile)
            settings.iceAddresses = session.iceAddresses
            return WHIPConnector(settings: settings, logger: Logger(label: "roomrecd.session"))
        }
    }

    /// The room panel's TCP address: the socket `roomrec-panel.socket` passed, or `[panel] listen` bound by the
    /// daemon; nil when neither is set. Without a readable operator token every caller there is a viewer.
    private static func panelListener(for config: RoomRecorderConfig, logger: Logger) -> ControlServer.Listener? {
        var token: String?
        if let file = config.panel.operatorTokenFile {
            do {
                token = try SecretFile.read(file, what: "panel operator token").text.trimmingCharacters(in: .whitespacesAndNewlines)
                if token?.isEmpty == true { throw SecretFile.Failure(description: "the panel operator token file \(file) is empty") }
            } catch {
                token = nil
                logger.error("the room panel has no operator token: everyone there is a viewer", metadata: ["error": "\(error)"])
            }
        }
        if let fd = SocketActivation.passed.first(where: { !$0.isUnix })?.fd {
            logger.info("serving the room panel on the socket passed by systemd", metadata: ["fd": "\(fd)"])
            return .activatedTCP(fd, operatorToken: token)
        }
        guard let listen = config.panel.listen else { return nil }
        return .tcp(host: listen.host, port: listen.port, operatorToken: token)
    }

    /// The socket systemd passed, or the configured path bound by the daemon itself.
    private static func listener(for config: RoomRecorderConfig, logger: Logger) -> ControlServer.Listener {
        if let fd = SocketActivation.passed.first(where: \.isUnix)?.fd {
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
