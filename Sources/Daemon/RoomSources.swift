import Capture
import ControlContract
import Foundation
import Logging
import Media
import RecorderCore
import Synchronization

/// The room's own camera and microphone (or the synthetic stage standing in for them), captured once for
/// everyone who needs them: the recording and the session's publication. Capture starts with the first consumer
/// and stops when the last one goes, so the camera is open only while the room records or is on stage; each
/// source runs on a thread of its own and hands every picture and period, stamped with its capture instant, to
/// every consumer attached at that moment.
final class RoomSources: Sendable {
    /// Where a consumer takes the room's media; both are called on the sources' threads and must not block.
    struct Consumer: Sendable {
        var picture: @Sendable (MediaFrame) -> Void
        var sound: @Sendable (MediaFrame) -> Void
    }

    /// A consumer's place among the room's sources: detach it to take no more frames.
    final class Attachment: Sendable {
        private let detachment: @Sendable () -> Void
        private let done = Atomic(false)

        fileprivate init(_ detach: @escaping @Sendable () -> Void) { detachment = detach }

        /// Takes no more frames (a frame being handed over may still arrive while this returns).
        func detach() {
            guard !done.exchange(true, ordering: .relaxed) else { return }
            detachment()
        }

        deinit { detach() }
    }

    /// What the room's sources did, for events and logs: a message, and whether it is a warning.
    typealias DeviceReport = @Sendable (_ message: String, _ warning: Bool) -> Void

    /// Samples per synthetic sound block.
    static let syntheticAudioFrames = 1024
    let framesPerSecond = 30

    /// Which camera and microphone; a change applies the next time capture starts.
    private let capture: Mutex<RoomRecorderConfig.Capture>
    private let report: DeviceReport
    /// The synthetic stage's frames fall on this grid (`gridOrigin + n/30`), whenever it is started, so a
    /// recording can put its output instants on the same grid.
    private let gridOrigin = MonotonicInstant.now()
    /// Synthetic pictures dropped by the stages that ran before, and the one running now.
    private let late = Mutex<(before: Int, running: SyntheticStageSource?)>((0, nil))

    private struct State {
        var consumers: [Int: Consumer] = [:]
        /// Consumers that see the media while capture runs for others, without keeping it running (the monitor).
        var observers: [Int: Consumer] = [:]
        var nextId = 0
        var running: Run?
        /// Runs asked to stop whose threads may still be ending (a camera being closed): the next run waits for
        /// them, as the devices are not free before.
        var stopping: [Run] = []
    }
    private let state = Mutex(State())

    /// One start of the sources: their stop flag and the threads to wait for.
    private final class Run: Sendable {
        let stop = Atomic(false)
        let threads = DispatchGroup()
    }

    /// A report that becomes a warning event and log line, or a notice.
    static func reporter(events: EventHub, logger: Logger) -> DeviceReport {
        { message, warning in
            if warning {
                events.publish(.warning, message: message)
                logger.warning("capture device", metadata: ["event": "\(message)"])
            } else {
                logger.notice("capture device", metadata: ["event": "\(message)"])
            }
        }
    }

    init(capture: RoomRecorderConfig.Capture, report: @escaping DeviceReport) {
        self.capture = Mutex(capture)
        self.report = report
    }

    /// Another camera or microphone (a reloaded configuration), from the next time capture starts.
    func reconfigure(_ capture: RoomRecorderConfig.Capture) { self.capture.withLock { $0 = capture } }

    /// The picture size the room's camera stands in with until its first picture (the synthetic stage's).
    var nominalSize: (width: Int, height: Int) { (SyntheticStageSource.Settings().width, SyntheticStageSource.Settings().height) }

    /// Synthetic pictures dropped so far because they were due too long ago (the machine was too busy).
    var framesLate: Int { late.withLock { $0.before + ($0.running?.droppedVideoFrames ?? 0) } }

    /// The first instant on the synthetic stage's frame grid at or after `instant`.
    func gridInstant(atOrAfter instant: MonotonicInstant) -> MonotonicInstant { gridInstant(instant, .up) }

    /// The last instant on the synthetic stage's frame grid at or before `instant`.
    func gridInstant(atOrBefore instant: MonotonicInstant) -> MonotonicInstant { gridInstant(instant, .down) }

    private func gridInstant(_ instant: MonotonicInstant, _ rounding: FloatingPointRoundingRule) -> MonotonicInstant {
        let frames = (instant.seconds(since: gridOrigin) * Double(framesPerSecond)).rounded(rounding)
        return gridOrigin.advanced(by: frames / Double(framesPerSecond))
    }

    /// Adds a consumer; capture starts if it is the first.
    func attach(_ consumer: Consumer) -> Attachment {
        let (id, start) = state.withLock { state -> (Int, (run: Run, after: [Run])?) in
            let id = state.nextId
            state.nextId += 1
            state.consumers[id] = consumer
            guard state.running == nil else { return (id, nil) }
            let run = Run()
            state.running = run
            defer { state.stopping = [] }
            return (id, (run, state.stopping))
        }
        if let start { launch(start.run, after: start.after) }
        return Attachment { [self] in detach(id) }
    }

    /// Sees every picture and period while capture runs for someone else; starts nothing.
    func observe(_ observer: Consumer) -> Attachment {
        let id = state.withLock { state -> Int in
            let id = state.nextId
            state.nextId += 1
            state.observers[id] = observer
            return id
        }
        return Attachment { [self] in _ = state.withLock { $0.observers.removeValue(forKey: id) } }
    }

    /// Whether capture runs now.
    var isCapturing: Bool { state.withLock { $0.running != nil } }

    private func detach(_ id: Int) {
        state.withLock { state in
            state.consumers[id] = nil
            guard state.consumers.isEmpty, let run = state.running else { return }
            run.stop.store(true, ordering: .relaxed)
            state.running = nil
            state.stopping.append(run)
        }
    }

    private func deliverPicture(_ frame: MediaFrame) {
        for consumer in state.withLock({ Array($0.consumers.values) + Array($0.observers.values) }) { consumer.picture(frame) }
    }

    private func deliverSound(_ frame: MediaFrame) {
        for consumer in state.withLock({ Array($0.consumers.values) + Array($0.observers.values) }) { consumer.sound(frame) }
    }

    /// Starts the sources of a run on threads of their own, once those of the runs before have ended.
    private func launch(_ run: Run, after previous: [Run]) {
        let capture = self.capture.withLock { $0 }
        var settings = SyntheticStageSource.Settings()
        var microphone: ALSAMicrophone?
        if case .alsa(let name) = capture.microphone {
            settings.withAudio = false
            microphone = ALSAMicrophone(name: name)
        }
        var camera: CameraSource?
        if case .v4l2(let path) = capture.camera {
            settings.withVideo = false
            camera = CameraSource(device: V4L2Camera(path: path), controls: capture.controls)
        }
        let (synthetic, report) = (settings, self.report)
        let (microphoneSource, cameraSource) = (microphone, camera)
        // The starter counts as one of the run's threads, so a run after this one waits for it too.
        run.threads.enter()
        let starter = Thread { [self] in
            defer { run.threads.leave() }
            for old in previous where old.threads.wait(timeout: .now() + 5) == .timedOut {
                report("the room's sources did not stop within 5 s; starting them again anyway", true)
            }
            guard !run.stop.load(ordering: .relaxed) else { return }
            if synthetic.withVideo || synthetic.withAudio {
                Self.start("synthetic", in: run) { [self] in
                    let source = SyntheticStageSource(settings: synthetic)
                    late.withLock { $0.running = source }
                    defer { late.withLock { $0 = ($0.before + source.droppedVideoFrames, nil) } }
                    do {
                        try source.run(into: SourceSink(room: self), origin: gridInstant(atOrAfter: .now()),
                                       audioFrameSize: Self.syntheticAudioFrames, stop: run.stop)
                    } catch {
                        report("the synthetic stage failed: \(error)", true)
                    }
                }
            }
            if let microphone = microphoneSource {
                Self.start("microphone", in: run) { [self] in
                    do {
                        try microphone.run(deliver: { deliverSound($0) }, events: {
                            let (text, warning) = Self.describe($0, meanwhile: "silence is recorded and sent in its place", back: "its sound")
                            report(text, warning)
                        }, stop: run.stop)
                    } catch {
                        report("microphone \(microphone.name) stopped: \(error); silence is recorded and sent in its place", true)
                    }
                }
            }
            if let camera = cameraSource {
                Self.start("camera", in: run) { [self] in
                    camera.run(deliver: { deliverPicture($0) }, events: {
                        let (text, warning) = Self.describe($0, meanwhile: "the stage shows the slate", back: "its picture")
                        report(text, warning)
                    }, stop: run.stop)
                }
            }
        }
        starter.name = "roomrec.sources.start"
        starter.start()
    }

    private static func start(_ name: String, in run: Run, _ body: @escaping @Sendable () -> Void) {
        run.threads.enter()
        let thread = Thread {
            body()
            run.threads.leave()
        }
        thread.name = "roomrec.source.\(name)"
        thread.start()
    }

    /// A capture device's event in words, and whether it is a warning: `meanwhile` is what happens while the
    /// device is gone, `back` what is recorded again when it returns.
    static func describe(_ event: CaptureEvent, meanwhile: String, back: String) -> (String, Bool) {
        switch event {
        case .opened(let summary): ("\(summary) opened", false)
        case .recovered(let summary): ("\(summary) is back; \(back) is recorded again", true)
        case .lost(let why): ("\(why); \(meanwhile) until it is back", true)
        }
    }

    /// The synthetic stage delivers here.
    private final class SourceSink: MediaSink {
        let room: RoomSources
        init(room: RoomSources) { self.room = room }
        func consume(video frame: MediaFrame) throws { room.deliverPicture(frame) }
        func consume(audio frame: MediaFrame) throws { room.deliverSound(frame) }
    }
}
