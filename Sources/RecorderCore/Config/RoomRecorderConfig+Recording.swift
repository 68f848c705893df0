import Foundation

extension RoomRecorderConfig {
    /// `[recording]`: how recordings are encoded, where they are written while they run, and the rules a
    /// recording in progress follows.
    public struct Recording: Equatable, Sendable {
        /// Folder for recordings in progress and finished files awaiting upload.
        public var outputDirectory = "/var/lib/roomrec/recordings"
        /// libx264 preset; `auto` measures the machine once (``X264Calibration``) and takes the slowest preset, up to
        /// `medium`, that keeps up.
        public var videoPreset = X264Preset.auto
        /// Which H.264 encoders may record, and in what order of preference.
        public var encoders = EncoderSelection.Policy.hardwareFirst
        public var videoBitrateKbps = 6000
        public var audioBitrateKbps = 160
        /// One recording lasts at most this long (the room platform's 24 hours, or less): at the cap it is
        /// finalized as `limit_reached`, and a booking or class still running goes on in a new part.
        public var maxDuration: TimeInterval = 24 * 3600
        /// A recording does not start with less free space than this where it is written.
        public var minimumFreeBytes: Int64 = 2 << 30
        /// A recording in progress stops cleanly, as a playable file, when free space falls under this.
        public var reserveBytes: Int64 = 512 << 20
        /// A session is recorded for at most this long (the platform's 72 hours, or less), across its parts.
        public var maxSeriesDuration: TimeInterval = 72 * 3600
        /// After the session's host leaves, recording goes on this long, then stops unless the host is back.
        public var hostLeaveGrace: TimeInterval = 15 * 60
        /// How the stage is arranged on the 1080p canvas.
        public var layout = StageLayout.Mode.auto

        /// The rules a recording in progress follows.
        public var rules: RecordingRules.Limits {
            RecordingRules.Limits(maxDuration: maxDuration, maxSeriesDuration: maxSeriesDuration, hostGrace: hostLeaveGrace, reserveBytes: reserveBytes)
        }
    }
}

extension RoomRecorderConfig.Recording {
    /// Reads `[recording]`; a key left out keeps its default.
    init(reading recording: ConfigReader) throws(ConfigError) {
        self.init()
        outputDirectory = try recording.absolutePath("output_dir", default: outputDirectory)
        videoPreset = try recording.choice("video_preset", default: videoPreset)
        encoders = try Self.encoders(recording, default: encoders)
        videoBitrateKbps = try recording.integer("video_bitrate_kbps", default: videoBitrateKbps, range: 500...50_000)
        audioBitrateKbps = try recording.integer("audio_bitrate_kbps", default: audioBitrateKbps, range: 64...320)
        maxDuration = try recording.duration("max_duration", default: maxDuration, range: TimeSpan(seconds: 10)...TimeSpan.hours(24))
        maxSeriesDuration = try recording.duration("max_session", default: maxSeriesDuration, range: TimeSpan.minutes(1)...TimeSpan.hours(72))
        hostLeaveGrace = try recording.duration("host_leave_grace", default: hostLeaveGrace, range: TimeSpan(seconds: 0)...TimeSpan.hours(24))
        layout = try recording.choice("layout", default: layout)
        minimumFreeBytes = Int64(try recording.integer("min_free_mb", default: Int(minimumFreeBytes >> 20), range: 1...10_000_000)) << 20
        reserveBytes = Int64(try recording.integer("reserve_mb", default: Int(reserveBytes >> 20), range: 0...10_000_000)) << 20
        if reserveBytes >= minimumFreeBytes {
            throw recording.error("reserve_mb", "must be less than min_free_mb (\(minimumFreeBytes >> 20)), or a recording would stop as soon as it starts")
        }
        try recording.rejectUnknownKeys()
    }

    /// `encoder`: `"auto"` (hardware first), `"software"`, or the encoders to try, in order.
    private static func encoders(_ recording: ConfigReader, default value: EncoderSelection.Policy) throws(ConfigError) -> EncoderSelection.Policy {
        switch try recording.value("encoder") {
        case nil: return value
        case .string("auto")?: return .hardwareFirst
        case .string("software")?: return .softwareOnly
        case .array?:
            var kinds: [EncoderSelection.Kind] = []
            for name in try recording.strings("encoder") ?? [] {
                guard let kind = EncoderSelection.Kind(rawValue: name) else {
                    throw recording.error("encoder", "unknown encoder \"\(name)\"; expected some of "
                                          + EncoderSelection.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
                }
                kinds.append(kind)
            }
            guard !kinds.isEmpty else { throw recording.error("encoder", "the list of encoders is empty") }
            return .only(kinds)
        case let other?:
            throw recording.error("encoder", "expected \"auto\", \"software\" or a list such as [\"h264_vaapi\", \"libx264\"], found \(other.typeName)")
        }
    }
}

/// libx264 speed presets, fastest first.
public enum X264Preset: String, Sendable, CaseIterable {
    /// Measured on the machine: the slowest preset, up to `medium`, that still encodes at 1.5 times real time.
    case auto
    case ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow
}
