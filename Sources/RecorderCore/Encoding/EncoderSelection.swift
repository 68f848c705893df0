/// Which H.264 encoder records, decided from what the machine's encoders did when they were tried: a pure
/// function of the probe results and the policy, so every kind of room computer can be tested without it.
public struct EncoderSelection: Equatable, Sendable {
    /// The H.264 encoders Debian's FFmpeg offers, in the order a hardware-first policy prefers them (the
    /// better-quality hardware first, software last).
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case nvenc = "h264_nvenc"
        case qsv = "h264_qsv"
        case vaapi = "h264_vaapi"
        case v4l2m2m = "h264_v4l2m2m"
        case x264 = "libx264"

        public var isHardware: Bool { self != .x264 }
    }

    /// One encoder on one device (a render node for VA-API; nil where FFmpeg finds the device itself).
    public struct Candidate: Equatable, Hashable, Sendable, CustomStringConvertible {
        public var kind: Kind
        public var device: String?

        public init(_ kind: Kind, device: String? = nil) {
            self.kind = kind
            self.device = device
        }

        public var description: String { device.map { "\(kind.rawValue) (\($0))" } ?? kind.rawValue }
    }

    /// What trying a candidate showed: it encoded test frames, or why not.
    public struct Probe: Equatable, Sendable {
        public var candidate: Candidate
        /// Nil when it opened and encoded the test frames; otherwise the error.
        public var failure: String?

        public init(_ candidate: Candidate, failure: String? = nil) {
            self.candidate = candidate
            self.failure = failure
        }
    }

    /// How to choose.
    public enum Policy: Equatable, Sendable {
        /// The first working hardware encoder in ``Kind``'s order, else libx264.
        case hardwareFirst
        /// libx264 only.
        case softwareOnly
        /// The first working one of these, in this order.
        case only([Kind])
    }

    /// The encoder to record with.
    public let chosen: Candidate
    /// The working encoders to fall back on, in order, if the chosen one fails while recording.
    public let fallbacks: [Candidate]
    /// Why `chosen` was chosen, for status and logs.
    public let reason: String

    /// Chooses from `probes` by `policy`; nil when nothing the policy allows works.
    public init?(probes: [Probe], policy: Policy) {
        let allowed: [Kind] = switch policy {
        case .hardwareFirst: Kind.allCases
        case .softwareOnly: [.x264]
        case .only(let kinds): kinds
        }
        let working = allowed.flatMap { kind in probes.filter { $0.candidate.kind == kind && $0.failure == nil }.map(\.candidate) }
        guard let first = working.first else { return nil }
        chosen = first
        fallbacks = Array(working.dropFirst())
        let failedBefore = probes.filter { $0.failure != nil && allowed.contains($0.candidate.kind) }
            .filter { allowed.firstIndex(of: $0.candidate.kind)! < allowed.firstIndex(of: first.kind)! }
        let passedOver = failedBefore.isEmpty ? "" : "; " + failedBefore.map { "\($0.candidate) did not work (\($0.failure!))" }.joined(separator: "; ")
        reason = switch policy {
        case .hardwareFirst where first.kind.isHardware: "the first working hardware encoder" + passedOver
        case .hardwareFirst: "no hardware encoder works here, so the CPU encodes" + passedOver
        case .softwareOnly: "the configuration asks for software encoding"
        case .only: "the first working encoder of the configured list" + passedOver
        }
    }

    private init(chosen: Candidate, fallbacks: [Candidate], reason: String) {
        self.chosen = chosen
        self.fallbacks = fallbacks
        self.reason = reason
    }

    /// The selection after `chosen` failed while recording (`error`): the next working encoder, or nil.
    public func failingOver(because error: String) -> EncoderSelection? {
        guard let next = fallbacks.first else { return nil }
        return EncoderSelection(chosen: next, fallbacks: Array(fallbacks.dropFirst()), reason: "\(chosen) failed while recording (\(error))")
    }
}

/// libx264 tuned to the machine: the slowest preset (the best picture for the bitrate) that still encodes
/// 1080p30 at `requiredSpeed` times real time or more on the cores it may use, measured on the machine itself.
public enum X264Calibration {
    /// libx264's presets, fastest first.
    public static let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"]

    /// How much faster than real time libx264 must encode on an idle machine when it records alone: composing,
    /// audio and the file take the rest, and the margin absorbs a busy moment.
    public static let baseSpeed = 1.5

    /// The preset to use, given the frames per second each measured preset reached; the fastest preset when
    /// none reaches the speed (the governor then drops frames it cannot encode, and says so).
    public static func choose(measured: [String: Double], framesPerSecond: Double = 30, requiredSpeed: Double = baseSpeed) -> String {
        presets.last { (measured[$0] ?? 0) >= framesPerSecond * requiredSpeed } ?? presets[0]
    }

    /// The cores an online session keeps busy while the room records, so the recording's encoder cannot have
    /// them: publishing the room (its 720p live H.264, Opus and WebRTC) about a quarter of a core, receiving the
    /// participants (two 720p pictures decoded, and their tiles composed) about a third more. Measured by
    /// `bench/session.sh` on two cores: publishing through WHIP cost 0.22 of a core over recording alone, being on a
    /// Janus stage with two 1 Mbit/s publishers 0.52.
    public static func sessionCores(publishing: Bool, receiving: Bool) -> Double {
        (publishing ? 0.25 : 0) + (receiving ? 0.3 : 0)
    }

    /// The speed libx264 must reach on an idle machine with `cores` cores when `sessionCores` of them are the
    /// session's while it records: ``baseSpeed`` on what is left. On two cores a Janus stage asks about 2.1 times
    /// real time (a preset or two faster than alone), WHIP 1.7; on eight, hardly more than alone.
    public static func requiredSpeed(cores: Int, sessionCores: Double) -> Double {
        let cores = Double(max(cores, 1))
        return baseSpeed * cores / max(cores - sessionCores, cores / 4)
    }

    /// libx264's own rate-control lookahead, in frames, for a preset.
    public static func lookahead(of preset: String) -> Int {
        ["ultrafast": 0, "superfast": 0, "veryfast": 10, "faster": 20, "fast": 30, "medium": 40][preset] ?? 40
    }

    /// The next faster preset, for the governor; nil at the fastest.
    public static func faster(than preset: String) -> String? {
        guard let index = presets.firstIndex(of: preset), index > 0 else { return nil }
        return presets[index - 1]
    }
}
