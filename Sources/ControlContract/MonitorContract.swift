import Foundation
import RecorderCore

/// One source's sound level over its last 100 ms window, for meters (`GET /v1/levels`, the `levels` events,
/// status).
public struct SourceLevel: Codable, Equatable, Sendable {
    /// `mix` (what is recorded), `microphone` (the room's), or `participant:<id>`.
    public var source: String
    /// A name for a person: "Mix", "Room microphone", a participant's display name.
    public var label: String
    public var peakDbfs: Double
    public var rmsDbfs: Double

    public init(source: String, label: String, level: AudioLevel) {
        self.source = source
        self.label = label
        peakDbfs = level.peakDbfs
        rmsDbfs = level.rmsDbfs
    }
}

/// `GET /v1/levels`.
public struct LevelsReport: Codable, Equatable, Sendable {
    public var time: Date
    public var levels: [SourceLevel]
    public var alarms: [Alarm]

    public init(time: Date, levels: [SourceLevel], alarms: [Alarm]) {
        self.time = time
        self.levels = levels
        self.alarms = alarms
    }
}
