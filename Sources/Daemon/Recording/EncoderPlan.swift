import ControlContract
import DurableFiles
import Logging
import Media
import RecorderCore

/// Which encoder the next recording uses, and why: chosen once after READY by ``EncoderChooser``, changed when
/// the video encoder fails (the next fall-back) or libx264 falls behind (a faster preset).
actor EncoderPlan {
    private let config: LiveConfiguration
    private let board: StatusBoard
    private let logger: Logger
    /// The encoder chosen for this machine and the libx264 preset (nil until ``prepare(mayMeasure:)`` has run).
    private var choice: EncoderChooser.Choice?
    /// What the last recording (or the choice, before any) encoded with, for status.
    private(set) var summary = EncoderPlan.untried {
        didSet { board.update { [summary] in $0.encoder = summary } }
    }

    /// What status says before the encoders were tried.
    static let untried = EncoderSummary(video: "libx264", audio: "aac (AAC-LC)", reason: "the encoders are still being tried; libx264 until then")

    init(config: LiveConfiguration, board: StatusBoard, logger: Logger) {
        self.config = config
        self.board = board
        self.logger = logger
    }

    /// The libx264 preset recordings use: the configured one, or the calibrated one for `auto`.
    var x264Preset: String {
        let configured = config.current.recording.videoPreset
        return configured == .auto ? choice?.x264Preset ?? EncoderChooser.defaultPreset : configured.rawValue
    }

    /// The video encoder to open.
    var encoder: EncoderSelection.Candidate { choice?.selection?.chosen ?? .init(.x264) }

    /// Whether a libx264 measurement was put off while a recording ran.
    var measurementPending: Bool { choice?.measured == false }

    /// Why the video encoder is the one it is, for status.
    private var reason: String {
        guard let choice else { return Self.untried.reason ?? "" }
        guard let selection = choice.selection else { return "no allowed encoder worked when tried; libx264 is used anyway" }
        return selection.reason + (selection.chosen.kind == .x264 ? "; preset \(choice.x264Preset): \(choice.presetReason)" : "")
    }

    /// Tries the machine's encoders, chooses one, and calibrates libx264 if its preset is `auto` (not while
    /// `recording`, when the measurement would compete with it); on threads of their own, so the socket stays
    /// responsive.
    func prepare(recording: Bool) async {
        let session = config.current.session
        let chooser = EncoderChooser(config: config.current.recording, stateDirectory: config.current.daemon.stateDirectory,
                                     sessionCores: session.connector == .none ? 0
                                         : X264Calibration.sessionCores(publishing: session.publish, receiving: session.connector == .janus),
                                     logger: logger)
        choice = try? await BlockingIO.run { chooser.choose(mayMeasure: !recording) }
        if !recording, let chosen = choice?.selection?.chosen {
            summary = EncoderSummary(video: chosen.kind == .x264 ? "libx264 (\(x264Preset))" : chosen.description, audio: summary.audio, reason: reason)
        }
    }

    /// A recording started with these encoders.
    func recordingStarted(with names: (video: String, audio: String)) {
        summary = EncoderSummary(video: names.video, audio: names.audio, reason: reason)
    }

    /// A recording's encoder must change: the video encoder failed (`failure`) and the next allowed one takes
    /// over, or libx264 fell behind and steps to `fasterPreset`. Answers what changed, in words, or nil when there
    /// is nothing to change to.
    func change(failure: String?, fasterPreset: String?, recordingID: String) -> String? {
        let logger = logger.with(recording: recordingID)
        if let failure, let next = choice?.selection?.failingOver(because: failure) {
            choice?.selection = next
            logger.error("the video encoder failed; going on with the next", metadata: ["error": "\(failure)", "next": "\(next.chosen)"])
            return "the recording goes on with \(next.chosen) in a new part"
        }
        guard let faster = fasterPreset else { return nil }
        // libx264 fell behind: this and later recordings use the faster preset.
        let slower = x264Preset
        choice?.x264Preset = faster
        choice?.presetReason = "stepped from \(slower) to \(faster) because \(slower) fell behind while recording"
        config.update { config in
            if config.recording.videoPreset != .auto { config.recording.videoPreset = X264Preset(rawValue: faster) ?? config.recording.videoPreset }
        }
        logger.warning("the encoder fell behind; stepping to a faster preset", metadata: ["from": "\(slower)", "to": "\(faster)"])
        return "libx264 fell behind with the preset \(slower); the recording goes on with \(faster) in a new part"
    }
}
