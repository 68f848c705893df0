import Foundation

/// An alarm: something a person should look at now, raised by ``AlarmMonitor`` and cleared when it ends.
public struct Alarm: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case silence
        case clipping
        case frozenPicture = "frozen_picture"
        case blackPicture = "black_picture"
        case missedStart = "missed_start"
    }

    public var kind: Kind
    public var message: String
    public var since: Date

    public init(kind: Kind, message: String, since: Date) {
        self.kind = kind
        self.message = message
        self.since = since
    }
}

/// Decides the alarms from what the room's sources measure, on the caller's clock (a fake one in tests): the mix's
/// level windows, the camera's picture signatures, and the schedule's next start. Pure: it only keeps time and
/// answers which alarms rose or cleared.
public struct AlarmMonitor: Sendable {
    /// An alarm that rose or cleared.
    public enum Change: Equatable, Sendable {
        case raised(Alarm)
        case cleared(Alarm)
    }

    public var settings: MonitorSettings
    public private(set) var active: [Alarm.Kind: Alarm] = [:]
    /// Since when the mix has been under the silence threshold (while recording).
    private var quietSince: Date?
    /// The last ten windows: whether each clipped.
    private var clipped: [Bool] = []
    private var lastClip: Date?
    /// Since when the camera's picture has been the same, and dark.
    private var sameSince: Date?
    private var lastSignature: UInt64?
    private var darkSince: Date?

    public init(settings: MonitorSettings = MonitorSettings()) { self.settings = settings }

    /// A 100 ms window of the mix (only while recording: silence outside a recording is no one's problem).
    public mutating func mix(_ level: AudioLevel, at now: Date) -> [Change] {
        var changes: [Change] = []
        if level.peakDbfs < settings.silenceDbfs {
            let since = quietSince ?? now
            quietSince = since
            if now.timeIntervalSince(since) >= settings.silenceSeconds {
                changes += raise(.silence, "the recording has been silent for \(Int(now.timeIntervalSince(since))) s (the mix under "
                                 + "\(Int(settings.silenceDbfs)) dBFS): is the microphone muted or unplugged?", at: since)
            }
        } else {
            quietSince = nil
            changes += clear(.silence)
        }
        clipped.append(level.peakDbfs >= settings.clippingDbfs)
        if clipped.count > 10 { clipped.removeFirst(clipped.count - 10) }
        if clipped.filter({ $0 }).count >= settings.clippingWindows {
            lastClip = now
            changes += raise(.clipping, "the sound clips (peaks at \(String(format: "%.1f", level.peakDbfs)) dBFS): turn the microphone's gain down", at: now)
        } else if let last = lastClip, now.timeIntervalSince(last) >= 5 {
            lastClip = nil
            changes += clear(.clipping)
        }
        return changes
    }

    /// The recording stopped: the sound alarms end with it.
    public mutating func recordingEnded() -> [Change] {
        quietSince = nil
        clipped = []
        lastClip = nil
        return clear(.silence) + clear(.clipping)
    }

    /// A picture of the camera: a signature of its content (equal for identical pictures) and its mean luma.
    public mutating func picture(signature: UInt64, meanLuma: Double, at now: Date) -> [Change] {
        var changes: [Change] = []
        if signature == lastSignature {
            let since = sameSince ?? now
            sameSince = since
            if now.timeIntervalSince(since) >= settings.frozenSeconds {
                changes += raise(.frozenPicture, "the camera's picture has not changed for \(Int(now.timeIntervalSince(since))) s: is it frozen?", at: since)
            }
        } else {
            sameSince = now
            lastSignature = signature
            changes += clear(.frozenPicture)
        }
        if meanLuma < settings.blackLuma {
            let since = darkSince ?? now
            darkSince = since
            if now.timeIntervalSince(since) >= settings.blackSeconds {
                changes += raise(.blackPicture, "the camera's picture has been black for \(Int(now.timeIntervalSince(since))) s: a lens cap, or no signal?", at: since)
            }
        } else {
            darkSince = nil
            changes += clear(.blackPicture)
        }
        return changes
    }

    /// The camera stopped delivering (closed, nothing records): its picture alarms end.
    public mutating func cameraStopped() -> [Change] {
        sameSince = nil
        lastSignature = nil
        darkSince = nil
        return clear(.frozenPicture) + clear(.blackPicture)
    }

    /// The schedule's view: the start of the block that should be recording now (nil when none), and whether a
    /// recording runs.
    public mutating func schedule(dueSince start: Date?, title: String?, recording: Bool, at now: Date) -> [Change] {
        guard let start, !recording else { return clear(.missedStart) }
        guard now.timeIntervalSince(start) >= settings.missedStartSeconds else { return [] }
        return raise(.missedStart, "the scheduled recording \"\(title ?? "")\" should have started at \(ISO8601.string(start)) and has not", at: start)
    }

    private mutating func raise(_ kind: Alarm.Kind, _ message: String, at since: Date) -> [Change] {
        guard active[kind] == nil else { return [] }
        let alarm = Alarm(kind: kind, message: message, since: since)
        active[kind] = alarm
        return [.raised(alarm)]
    }

    private mutating func clear(_ kind: Alarm.Kind) -> [Change] {
        guard let alarm = active.removeValue(forKey: kind) else { return [] }
        return [.cleared(alarm)]
    }
}
