/// Watches whether the encoder keeps up with the canvas clock and decides when libx264 must step to a faster
/// preset: after `patience` seconds in a row in which frames were dropped or the pipeline ran at under
/// `minimumSpeed` times real time. The step happens at a part boundary (the daemon starts the next part with
/// the faster preset), since an MP4 track cannot change its encoder settings midway; audio is never dropped.
///
/// Pure: the pipeline reports each second; tests report seconds of their own.
public struct EncoderGovernor: Sendable {
    /// What one second of recording looked like.
    public struct Second: Sendable {
        /// Frame interval over the time a frame took, over this second.
        public var speed: Double
        public var framesDropped: Int

        public init(speed: Double, framesDropped: Int) {
            self.speed = speed
            self.framesDropped = framesDropped
        }
    }

    public let minimumSpeed: Double
    public let patience: Int
    private var strugglingSeconds = 0

    public init(minimumSpeed: Double = 1.05, patience: Int = 5) {
        self.minimumSpeed = minimumSpeed
        self.patience = patience
    }

    /// Takes one second's figures; true when it is time to step to a faster preset.
    public mutating func observe(_ second: Second) -> Bool {
        strugglingSeconds = second.framesDropped > 0 || second.speed < minimumSpeed ? strugglingSeconds + 1 : 0
        return strugglingSeconds >= patience
    }
}
