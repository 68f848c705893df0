import Foundation

/// `[monitor]`: the thresholds of the alarms, and the camera preview while nothing records.
public struct MonitorSettings: Equatable, Sendable {
    /// The mix under this level for `silenceSeconds` while recording: a muted microphone.
    public var silenceDbfs = -60.0
    public var silenceSeconds: TimeInterval = 30
    /// Peaks at or above this level in `clippingWindows` of the last ten 100 ms windows: clipping.
    public var clippingDbfs = -0.5
    public var clippingWindows = 3
    /// The camera's pictures identical for this long: frozen.
    public var frozenSeconds: TimeInterval = 10
    /// The camera's picture this dark (mean luma, 0–255) for this long: black (a lens cap, a dead HDMI input).
    public var blackLuma = 20.0
    public var blackSeconds: TimeInterval = 10
    /// A scheduled recording not started this long after its time.
    public var missedStartSeconds: TimeInterval = 30
    /// While nothing records, a preview opens the camera, which is closed again this long after the last one;
    /// `previewWhenIdle = false` keeps the camera closed when the room is not recording.
    public var previewIdleSeconds: TimeInterval = 30
    public var previewWhenIdle = true

    public init() {}
}
