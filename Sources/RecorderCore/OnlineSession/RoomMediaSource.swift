/// The room's own camera and microphone, encoded for the online session: what a ``SessionConnector`` publishes.
///
/// The connector owns the transport; the daemon owns capture and encoding. A connector that has a connection to
/// send on starts a feed, passes the transport's feedback back to it (a receiver lost a picture and wants a
/// keyframe; the receivers can take so many bits per second) and stops it when the connection goes.
public protocol RoomMediaSource: Sendable {
    /// Starts encoding; every encoded frame goes to `deliver`, from the encoders' threads, until the feed is
    /// stopped.
    func startFeed(deliver: @escaping @Sendable (LocalMediaFrame) -> Void) throws -> any RoomMediaFeed
}

/// One running encode of the room's camera and microphone for a session connection.
public protocol RoomMediaFeed: AnyObject, Sendable {
    /// A receiver asked for a keyframe (RTCP PLI or FIR): the next picture is one.
    func requestKeyframe()
    /// The receivers' bandwidth estimate (RTCP REMB), in bits per second: the video bitrate follows it, within
    /// the configured range.
    func limitVideoBitrate(_ bitsPerSecond: Int)
    /// Stops encoding; nothing is delivered after it returns.
    func stop()
}

/// An encoded frame of the room's camera (an H.264 access unit in Annex B, SPS and PPS before each keyframe) or
/// microphone (an Opus packet of 20 ms), on its way into the session.
public struct LocalMediaFrame: Sendable {
    public var kind: SessionTrack.Kind
    public var data: [UInt8]
    /// A picture a receiver can start decoding at.
    public var keyframe: Bool
    /// How long it lasts, in seconds.
    public var duration: Double

    public init(kind: SessionTrack.Kind, data: [UInt8], keyframe: Bool, duration: Double) {
        self.kind = kind
        self.data = data
        self.keyframe = keyframe
        self.duration = duration
    }
}

/// What the room sends into the session, as status reports it.
public struct PublishingStatus: Codable, Equatable, Sendable {
    /// The published picture's size, such as `1280x720`, once the first picture is encoded.
    public var resolution: String?
    /// The video bitrate the encoder aims at now, in kbit/s (the configured one, or less when the receivers' estimate is lower).
    public var videoTargetKbps: Int
    /// The last bandwidth estimate the session sent (REMB), in kbit/s.
    public var estimateKbps: Int?
    /// What was sent over the last few seconds, in kbit/s.
    public var videoKbps: Double
    public var audioKbps: Double
    public var videoFrames: Int
    public var audioFrames: Int
    /// Keyframes the receivers asked for.
    public var keyframeRequests: Int
    /// Pictures not encoded because the encoder was still busy with the one before.
    public var framesSkipped: Int

    public init(resolution: String? = nil, videoTargetKbps: Int, estimateKbps: Int? = nil, videoKbps: Double = 0, audioKbps: Double = 0,
                videoFrames: Int = 0, audioFrames: Int = 0, keyframeRequests: Int = 0, framesSkipped: Int = 0) {
        self.resolution = resolution
        self.videoTargetKbps = videoTargetKbps
        self.estimateKbps = estimateKbps
        self.videoKbps = videoKbps
        self.audioKbps = audioKbps
        self.videoFrames = videoFrames
        self.audioFrames = audioFrames
        self.keyframeRequests = keyframeRequests
        self.framesSkipped = framesSkipped
    }
}
