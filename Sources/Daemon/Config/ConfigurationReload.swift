import ControlContract
import Logging
import Networking
import Opencast
import RecorderCore
import Uploads

/// Reads the configuration file again and applies what may change while running: the room, the capture devices,
/// the recording settings (from the next recording on), the media library and the schedule. What needs a
/// restart keeps its old value until then and is named in the answer. A new media library must be usable
/// (credentials readable) before anything changes.
struct ConfigurationReload: Sendable {
    let path: String?
    let config: LiveConfiguration
    let throttle: Throttle?
    let logger: Logger
    let events: EventHub
    let opencastStore: (any OpencastIngestStore)?

    /// What changed, and what the daemon's collaborators must do about it.
    struct Applied: Sendable {
        var report: ReloadReport
        var new: RoomRecorderConfig
        var targets: [any UploadTarget]
        var encodersChanged: Bool
    }

    func apply(by caller: Caller) throws(ControlError) -> Applied {
        guard let path else { throw .conflict("this daemon was not started from a configuration file") }
        let new: RoomRecorderConfig
        do { new = try RoomRecorderConfig.load(path: path) } catch { throw .badRequest("\(error)") }
        let old = config.current
        var applied: [String] = []
        var restartNeeded: [String] = []
        func note<T: Equatable>(_ key: String, _ keyPath: KeyPath<RoomRecorderConfig, T>, live: Bool) {
            guard old[keyPath: keyPath] != new[keyPath: keyPath] else { return }
            if live { applied.append(key) } else { restartNeeded.append(key) }
        }
        note("room", \.room, live: true)
        note("capture", \.capture, live: true)
        note("recording", \.recording, live: true)
        note("library", \.library, live: true)
        note("control", \.control, live: false)
        note("daemon", \.daemon, live: false)
        note("uploads", \.uploads, live: false)
        note("schedule", \.schedule, live: true)
        note("opencast", \.opencast, live: true)
        // Rebuilt on every reload, so replaced credentials are read again.
        let targets: [any UploadTarget]
        do { targets = try UploadTargets.make(new, throttle: throttle, opencastStore: opencastStore) } catch {
            throw .badRequest("the media library cannot be used: \(error); nothing was changed")
        }
        config.update { config in
            config.room = new.room
            config.capture = new.capture
            config.library = new.library
            config.recording = new.recording
            config.schedule = new.schedule
            config.opencast = new.opencast
        }
        // A recording in progress keeps the encoder it started with; the next one uses the new settings.
        let encodersChanged = (old.recording.encoders, old.recording.videoPreset, old.recording.videoBitrateKbps)
            != (new.recording.encoders, new.recording.videoPreset, new.recording.videoBitrateKbps)
        logger.notice("configuration reloaded", metadata: ["applied": "\(applied)", "restartNeeded": "\(restartNeeded)", "by": "\(caller)"])
        events.publish(.config, message: "configuration reloaded; applied: \(applied.joined(separator: ", ")); needs a restart: \(restartNeeded.joined(separator: ", "))")
        return Applied(report: ReloadReport(applied: applied, restartNeeded: restartNeeded), new: new, targets: targets, encodersChanged: encodersChanged)
    }
}
