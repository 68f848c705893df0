import ControlContract
import DurableFiles
import Foundation
import Logging
import Media
import RecorderCore
import Synchronization

/// What the room's sources sound and look like, measured where their samples and pictures pass anyway (no
/// second capture): the level of each source in 100 ms windows (the room's microphone, each participant, the
/// mix), the newest picture of the stage, the camera or a participant for a preview, and the alarms that follow
/// (``AlarmMonitor``). The camera's pictures and the microphone's periods come as an observer of the room's
/// sources; the mix, the stage and the participants from the recording's pipeline (``PipelineTap``).
///
/// While nothing records, a preview of the camera opens it (unless `[monitor] preview_when_idle = false`) and
/// it closes again `preview_idle_seconds` after the last one.
final class RoomMonitor: PipelineTap, Sendable {
    static let mix = "mix"
    static let microphone = "microphone"
    static let camera = "camera"
    static let stage = "stage"

    private struct State {
        var windows: [String: LevelWindow] = [:]
        var levels: [String: (level: SourceLevel, at: MonotonicInstant)] = [:]
        var lastPublished = MonotonicInstant(nanoseconds: 0)
        var alarms = AlarmMonitor()
        /// Previews waiting for the next picture of a source (`stage`, `camera`, `participant:<id>`).
        var waiting: [String: [UUID: CheckedContinuation<MediaFrame?, Never>]] = [:]
        var lastCameraPicture: MonotonicInstant?
        var cameraPictures = 0
        /// Pictures still to pass after the camera opened before one is a preview.
        var settling = 0
        var recording = false
        /// Keeps the camera open for previews while nothing records.
        var idleCapture: RoomSources.Attachment?
        var lastPreview = MonotonicInstant(nanoseconds: 0)
        /// Previews waiting now, at most ``maxWaiting`` (a flood of requests is answered 503, not queued).
        var waitingCount = 0
        /// The last JPEG of each source and width, answered again for a second: many viewers cost one encode.
        var recent: [String: (jpeg: Data, at: MonotonicInstant)] = [:]
    }

    static let maxWaiting = 8

    private let sources: RoomSources
    private let config: LiveConfiguration
    private let events: EventHub
    private let logger: Logger
    private let state = Mutex(State())
    /// One camera picture looked at a time (two camera runs may overlap for a moment while one closes).
    private let probe = PictureProbe()
    private let probing = NSLock()
    /// When the monitor started: a scheduled start missed counts from here at the earliest, so a restart during
    /// a class does not raise it before the schedule has started the recording again.
    private let startedAt = Date()
    /// One preview encoded at a time.
    private let encoder = JPEGEncoder()
    private let encoding = NSLock()
    private let observation = Mutex<RoomSources.Attachment?>(nil)

    init(sources: RoomSources, config: LiveConfiguration, events: EventHub, logger: Logger) {
        self.sources = sources
        self.config = config
        self.events = events
        self.logger = logger
        state.withLock { $0.alarms.settings = config.current.monitor }
    }

    /// Starts watching the room's sources (whenever they run, for whomever).
    func start() {
        let attachment = sources.observe(RoomSources.Consumer(picture: { [self] in cameraPicture($0) }, sound: { [self] in microphoneSound($0) }))
        observation.withLock { $0 = attachment }
    }

    // MARK: What the sources and the pipeline hand over (on their threads; never blocking)

    private func cameraPicture(_ picture: MediaFrame) {
        let (count, wanted) = state.withLock { state -> (Int, Bool) in
            // A camera's first pictures after it opens (exposure settling; the synthetic stage's first is its
            // white flash) are no preview.
            if state.lastCameraPicture == nil { state.settling = 3 }
            state.lastCameraPicture = .now()
            state.cameraPictures += 1
            if state.settling > 0 {
                state.settling -= 1
                return (state.cameraPictures, false)
            }
            return (state.cameraPictures, !(state.waiting[Self.camera]?.isEmpty ?? true))
        }
        if wanted { hand(picture, to: Self.camera) }
        // Twice a second is enough to tell a frozen or black picture, and costs a 64×36 scale.
        guard count % 15 == 0, probing.try() else { return }
        defer { probing.unlock() }
        guard let look = try? probe.look(at: picture) else { return }
        let changes = state.withLock { $0.alarms.picture(signature: look.signature, meanLuma: look.meanLuma, at: Date()) }
        announce(changes)
    }

    private func microphoneSound(_ period: MediaFrame) { measure(period, source: Self.microphone, label: "Room microphone") }

    func mixed(_ block: MediaFrame) {
        state.withLock { $0.recording = true }
        guard let level = measure(block, source: Self.mix, label: "Mix") else { return }
        announce(state.withLock { $0.alarms.mix(level, at: Date()) })
    }

    func composed(_ canvas: MediaFrame) {
        if state.withLock({ !($0.waiting[Self.stage]?.isEmpty ?? true) }) { hand(canvas, to: Self.stage) }
    }

    func participant(_ frame: MediaFrame, from id: String, isVideo: Bool) {
        let key = "participant:\(id)"
        if isVideo {
            if state.withLock({ !($0.waiting[key]?.isEmpty ?? true) }) { hand(frame, to: key) }
        } else {
            measure(frame, source: key, label: id)
        }
    }

    func recordingEnded() {
        let changes = state.withLock { state -> [AlarmMonitor.Change] in
            state.recording = false
            state.windows[Self.mix] = nil
            state.levels[Self.mix] = nil
            state.levels = state.levels.filter { !$0.key.hasPrefix("participant:") }
            state.windows = state.windows.filter { !$0.key.hasPrefix("participant:") }
            return state.alarms.recordingEnded()
        }
        announce(changes)
    }

    /// Adds a block to its source's window; a completed window becomes the source's level (and goes to the
    /// `levels` subscribers, ten times a second at most).
    @discardableResult
    private func measure(_ frame: MediaFrame, source: String, label: String) -> AudioLevel? {
        let block = AudioMeasure.measure(frame)
        let now = MonotonicInstant.now()
        let (level, publish) = state.withLock { state -> (AudioLevel?, [SourceLevel]?) in
            // 100 ms of this source's own rate (a sound card may settle on 44.1 kHz).
            var window = state.windows[source] ?? LevelWindow(samplesPerWindow: max(1, block.sampleRate / 10))
            let level = window.add(peak: block.peak, sumOfSquares: block.sumOfSquares, samples: block.samples, channels: block.channels)
            state.windows[source] = window
            guard let level else { return (nil, nil) }
            state.levels[source] = (SourceLevel(source: source, label: label, level: level), now)
            guard now.seconds(since: state.lastPublished) >= 0.1 else { return (level, nil) }
            state.lastPublished = now
            return (level, Self.current(state.levels, at: now))
        }
        if let publish, events.isWanted(.levels) { events.publish(.levels, levels: publish) }
        return level
    }

    /// The levels measured in the last second, mix first, then the microphone, then the participants.
    private static func current(_ levels: [String: (level: SourceLevel, at: MonotonicInstant)], at now: MonotonicInstant) -> [SourceLevel] {
        let order = { (source: String) in source == mix ? 0 : source == microphone ? 1 : 2 }
        return levels.values.filter { now.seconds(since: $0.at) < 1 }.map(\.level).sorted { (order($0.source), $0.source) < (order($1.source), $1.source) }
    }

    // MARK: What status and the API read

    var levels: [SourceLevel] { state.withLock { Self.current($0.levels, at: .now()) } }
    var alarms: [Alarm] { state.withLock { $0.alarms.active.values.sorted { $0.since < $1.since } } }

    /// The configured camera is there (the synthetic stage always is).
    var cameraPresent: Bool {
        if case .v4l2(let path) = config.current.capture.camera { return FileManager.default.fileExists(atPath: path) }
        return true
    }

    // MARK: Previews

    /// A JPEG of the newest picture of `source` (`stage`, `camera` or a participant's id), at most a second old.
    func preview(source: String, width: Int) async throws(ControlError) -> Data {
        let recording = state.withLock { $0.recording }
        let key: String
        switch source {
        case Self.stage: key = recording ? Self.stage : Self.camera
        case Self.camera: key = Self.camera
        default:
            guard recording else { throw .notFound("participant \(source) is seen only while the room records its session") }
            key = "participant:\(source)"
        }
        let cacheKey = "\(key)@\(width)"
        // Noted first, in one step with the look at the cache and the count: the idle camera's closing looks at it.
        enum Plan { case cached(Data), busy, wait }
        let plan = state.withLock { state -> Plan in
            state.lastPreview = .now()
            if let recent = state.recent[cacheKey], MonotonicInstant.now().seconds(since: recent.at) < 1 { return .cached(recent.jpeg) }
            guard state.waitingCount < Self.maxWaiting else { return .busy }
            state.waitingCount += 1
            return .wait
        }
        switch plan {
        case .cached(let jpeg): return jpeg
        case .busy: throw .unavailable("too many previews are being made; ask again in a second")
        case .wait: break
        }
        defer { state.withLock { $0.waitingCount -= 1 } }
        var timeout = 2.0
        if key == Self.camera, !sources.isCapturing {
            guard config.current.monitor.previewWhenIdle else {
                throw .unavailable("the camera stays closed while the room does not record ([monitor] preview_when_idle = false)")
            }
            // The camera opens for the preview (its first picture takes a moment), and closes again later; opened
            // outside the lock, which the capture threads take for every picture.
            if state.withLock({ $0.idleCapture == nil }) {
                let attachment = sources.attach(RoomSources.Consumer(picture: { _ in }, sound: { _ in }))
                let spare = state.withLock { state -> RoomSources.Attachment? in
                    guard state.idleCapture == nil else { return attachment }
                    state.idleCapture = attachment
                    return nil
                }
                spare?.detach()
            }
            timeout = 6
        }
        guard let picture = await nextPicture(of: key, within: timeout) else {
            if key.hasPrefix("participant:") { throw .notFound("no picture of participant \(source) came: is it on stage?") }
            throw .unavailable("no picture of the \(key == Self.camera ? "camera" : "stage") came within \(Int(timeout)) s")
        }
        let jpeg: Data
        do {
            // One encode at a time, on a thread of the blocking pool.
            jpeg = try await BlockingIO.run { [encoder, encoding] in
                encoding.lock()
                defer { encoding.unlock() }
                return try encoder.encode(picture, width: width)
            }
        } catch {
            throw .unavailable("the preview could not be encoded: \(error)")
        }
        state.withLock { $0.recent[cacheKey] = (jpeg, .now()) }
        return jpeg
    }

    /// Hands a copy of `picture` to the previews waiting for `key`.
    private func hand(_ picture: MediaFrame, to key: String) {
        guard let copy = try? picture.copied() else { return }
        let waiters = state.withLock { $0.waiting.removeValue(forKey: key) ?? [:] }
        for continuation in waiters.values { continuation.resume(returning: copy) }
    }

    private func nextPicture(of key: String, within seconds: Double) async -> MediaFrame? {
        let id = UUID()
        return await withCheckedContinuation { continuation in
            state.withLock { $0.waiting[key, default: [:]][id] = continuation }
            // Unstructured: the deadline resumes the wait if no picture comes; it ends early when one does.
            Task { [self] in
                try? await Task.sleep(for: .seconds(seconds))
                state.withLock { state -> CheckedContinuation<MediaFrame?, Never>? in
                    let waiter = state.waiting[key]?.removeValue(forKey: id)
                    if state.waiting[key]?.isEmpty == true { state.waiting[key] = nil }
                    return waiter
                }?.resume(returning: nil)
            }
        }
    }

    // MARK: The clock: the alarms that depend on time passing

    /// Once a second until cancelled: the scheduled start that did not happen, a camera that stopped delivering,
    /// and the idle camera closed after the last preview.
    func run(scheduleDue: @escaping @Sendable () async -> (start: Date, title: String)?, recording: @escaping @Sendable () async -> Bool) async {
        start()
        while !Task.isCancelled {
            let due = await scheduleDue()
            let isRecording = await recording()
            let settings = config.current.monitor
            let now = Date()
            let (changes, release) = state.withLock { state -> ([AlarmMonitor.Change], RoomSources.Attachment?) in
                state.alarms.settings = settings
                var changes = state.alarms.schedule(dueSince: due.map { max($0.start, startedAt) }, title: due?.title, recording: isRecording, at: now)
                state.recent = state.recent.filter { MonotonicInstant.now().seconds(since: $0.value.at) < 1 }
                if let last = state.lastCameraPicture, MonotonicInstant.now().seconds(since: last) > 3 {
                    state.lastCameraPicture = nil
                    changes += state.alarms.cameraStopped()
                }
                var release: RoomSources.Attachment?
                if state.idleCapture != nil, MonotonicInstant.now().seconds(since: state.lastPreview) > settings.previewIdleSeconds {
                    release = state.idleCapture
                    state.idleCapture = nil
                }
                return (changes, release)
            }
            release?.detach()
            announce(changes)
            try? await Task.sleep(for: .seconds(1))
        }
        let idle = state.withLock { state -> RoomSources.Attachment? in defer { state.idleCapture = nil }; return state.idleCapture }
        idle?.detach()
        observation.withLock { $0?.detach() }
    }

    /// Says what rose or ended: an `alarm` and a `warning` event, and a log line.
    private func announce(_ changes: [AlarmMonitor.Change]) {
        for change in changes {
            switch change {
            case .raised(let alarm):
                logger.warning("alarm: \(alarm.message)", metadata: ["alarm": "\(alarm.kind.rawValue)"])
                events.publish(.alarm, message: alarm.message, alarm: alarm, cleared: false)
                events.publish(.warning, message: "alarm \(alarm.kind.rawValue): \(alarm.message)")
            case .cleared(let alarm):
                logger.notice("alarm ended", metadata: ["alarm": "\(alarm.kind.rawValue)"])
                events.publish(.alarm, message: "\(alarm.kind.rawValue) ended", alarm: alarm, cleared: true)
            }
        }
    }
}

/// What the recording's pipeline shows the monitor as it runs: each mixed block, each composed picture, and each
/// participant's decoded samples and pictures. Called on the pipeline's and the session's threads: never blocks.
protocol PipelineTap: Sendable {
    func mixed(_ block: MediaFrame)
    func composed(_ canvas: MediaFrame)
    func participant(_ frame: MediaFrame, from id: String, isVideo: Bool)
    func recordingEnded()
}
