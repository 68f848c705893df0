import RecorderCore

/// What the recording's video is encoded as: H.264 High profile, by the encoder the machine's selection chose.
public struct VideoEncoderSettings: Equatable, Sendable {
    /// The encoder (and device) to use.
    public var encoder = EncoderSelection.Candidate(.x264)
    public var width = 1920
    public var height = 1080
    public var framesPerSecond = 30
    /// libx264 preset.
    public var preset = "veryfast"
    public var bitrateKbps = 6000
    /// Keyframe interval in seconds; each keyframe starts a new MP4 fragment, so this bounds what a crash loses.
    public var keyframeIntervalSeconds = 1

    public init(preset: String = "veryfast", bitrateKbps: Int = 6000, encoder: EncoderSelection.Candidate = .init(.x264)) {
        self.preset = preset
        self.bitrateKbps = bitrateKbps
        self.encoder = encoder
    }
}

/// What the recording's audio is encoded as: AAC-LC, 48 kHz stereo.
public struct AudioEncoderSettings: Equatable, Sendable {
    public var sampleRate = 48_000
    public var bitrateKbps = 160

    public init(bitrateKbps: Int = 160) { self.bitrateKbps = bitrateKbps }
}
