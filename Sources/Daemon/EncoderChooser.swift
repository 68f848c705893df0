import DurableFiles
import Foundation
import Logging
import Media
import RecorderCore

/// Finds the encoder to record with at start-up: tries every candidate (``EncoderProbe``), chooses by the
/// configured policy (``EncoderSelection``), and, when libx264 may record and the preset is `auto`, measures
/// libx264 on this machine (``X264Calibrator``). The measurement is kept in the state directory and taken
/// again only when the CPU, the number of cores, FFmpeg or the video settings change.
struct EncoderChooser {
    /// What was decided.
    struct Choice: Sendable {
        var selection: EncoderSelection?
        /// The libx264 preset to use.
        var x264Preset: String
        /// How the preset was found, for status and logs.
        var presetReason: String
        /// False when the measurement still has to be taken (it was put off while a recording ran).
        var measured = true
    }

    /// A calibration kept on disk, with what it depends on.
    struct Calibration: Codable, Equatable {
        var machine: String
        var settings: String
        var framesPerSecond: [String: Double]
        var preset: String
        var measuredAt: Date
    }

    let config: RoomRecorderConfig.Recording
    let stateDirectory: String
    /// The cores the online session keeps busy while recording (``X264Calibration/sessionCores(publishing:receiving:)``):
    /// the preset leaves them to it.
    var sessionCores = 0.0
    let logger: Logger

    /// The preset used until a calibration says otherwise (and when `video_preset = "auto"` has none yet).
    static let defaultPreset = "veryfast"

    /// Probes and chooses; measures libx264 only when `mayMeasure` (the measurement takes every core for seconds,
    /// which a recording in progress must not lose), else uses a measurement on disk or the default preset.
    func choose(mayMeasure: Bool = true) -> Choice {
        let settings = VideoEncoderSettings(bitrateKbps: config.videoBitrateKbps)
        let probes = EncoderProbe.candidates().map { EncoderProbe.probe($0, settings: settings) }
        for probe in probes {
            logger.info("encoder probed", metadata: ["encoder": "\(probe.candidate)", "result": "\(probe.failure ?? "works")"])
        }
        let selection = EncoderSelection(probes: probes, policy: config.encoders)
        if let selection {
            logger.notice("encoder chosen", metadata: ["encoder": "\(selection.chosen)", "reason": "\(selection.reason)",
                                                       "fallbacks": "\(selection.fallbacks.map(\.description))"])
        } else {
            logger.critical("no allowed H.264 encoder works on this machine", metadata: ["policy": "\(config.encoders)"])
        }
        guard config.videoPreset == .auto else {
            return Choice(selection: selection, x264Preset: config.videoPreset.rawValue, presetReason: "set in the configuration")
        }
        let usesX264 = selection.map { ([$0.chosen] + $0.fallbacks).contains { $0.kind == .x264 } } ?? false
        guard usesX264 else { return Choice(selection: selection, x264Preset: Self.defaultPreset, presetReason: "libx264 is not used") }
        let calibration = calibrate(settings: settings, mayMeasure: mayMeasure)
        let required = X264Calibration.requiredSpeed(cores: ProcessInfo.processInfo.activeProcessorCount, sessionCores: sessionCores)
        let session = sessionCores > 0 ? String(format: "; %.1f× real time needed, the online session keeping %.2f of a core", required, sessionCores) : ""
        return Choice(selection: selection,
                      x264Preset: calibration.map { X264Calibration.choose(measured: $0.framesPerSecond, framesPerSecond: Double(settings.framesPerSecond), requiredSpeed: required) }
                          ?? Self.defaultPreset,
                      presetReason: calibration.map { "measured on this machine: \($0.framesPerSecond.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value) fps" }.joined(separator: ", "))\(session)" }
                          ?? (mayMeasure ? "the calibration failed; the default" : "the default until it is measured, when no recording runs"),
                      measured: calibration != nil || mayMeasure)
    }

    /// The calibration for this machine and these settings: the one on disk, or a new one if `mayMeasure`.
    private func calibrate(settings: VideoEncoderSettings, mayMeasure: Bool) -> Calibration? {
        let path = "\(stateDirectory)/encoder-calibration.json"
        let machine = "\(Self.cpuModel()); \(ProcessInfo.processInfo.activeProcessorCount) cores; \(MediaVersions.codecs)"
        let key = "\(settings.width)x\(settings.height)@\(settings.framesPerSecond), \(settings.bitrateKbps) kbit/s"
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        if let data = FileManager.default.contents(atPath: path),
           let kept = try? decoder.decode(Calibration.self, from: data), kept.machine == machine, kept.settings == key {
            logger.info("libx264 preset from the calibration on disk", metadata: ["preset": "\(kept.preset)", "measured": "\(kept.framesPerSecond)"])
            return kept
        }
        guard mayMeasure else { return nil }
        logger.notice("measuring libx264 on this machine (a few seconds, once)")
        do {
            let measured = try X264Calibrator.measure(settings: settings)
            let calibration = Calibration(machine: machine, settings: key, framesPerSecond: measured,
                                          preset: X264Calibration.choose(measured: measured, framesPerSecond: Double(settings.framesPerSecond)),
                                          measuredAt: Date())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            try FileSync.writeAtomically(try encoder.encode(calibration), to: path)
            logger.notice("libx264 calibrated", metadata: ["preset": "\(calibration.preset)", "measured": "\(measured)"])
            return calibration
        } catch {
            logger.error("libx264 could not be calibrated", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The CPU's model name from /proc/cpuinfo.
    static func cpuModel() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    }
}
