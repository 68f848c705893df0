import ControlContract
import Foundation
import Logging
import RecorderCore

/// The cameras and microphones as status lists them: the configured ones first, then what is attached (kept
/// current by the ``StatusBoard``); and what a device event means for the room.
struct DeviceList: Sendable {
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger

    /// The devices, the room's own shown `inUse` while it records or publishes into its online room.
    func devices(attached: [DeviceInfo], inUse: Bool) -> [DeviceInfo] {
        let capture = config.current.capture
        let camera = switch capture.camera {
        case .synthetic: DeviceInfo(kind: .camera, id: "synthetic", name: "Synthetic stage (1920×1080, 30 fps)", inUse: inUse)
        case .v4l2(let path): DeviceInfo(kind: .camera, id: path, name: "V4L2 camera \(path) (configured)", inUse: inUse)
        }
        let microphone = switch capture.microphone {
        case .synthetic: DeviceInfo(kind: .microphone, id: "synthetic", name: "Synthetic tone (48 kHz stereo)", inUse: inUse)
        case .alsa(let name): DeviceInfo(kind: .microphone, id: name, name: "ALSA capture \(name) (configured)", inUse: inUse)
        }
        return [camera, microphone] + attached
    }

    /// A camera or microphone appeared or went away: subscribers are told (a warning if it is the configured one
    /// and it went away), and the board lists the devices again on the `device` event.
    func changed(_ event: DeviceEvent) {
        // The configured camera is named by a stable link (/dev/v4l/by-id/…) to the node the event names.
        var configured = false
        if event.kind == .camera, case .v4l2(let path) = config.current.capture.camera {
            configured = path == event.device || URL(fileURLWithPath: path).resolvingSymlinksInPath().path == event.device
        }
        events.publish(.device, message: "\(event)" + (configured ? " (the configured \(event.kind.rawValue))" : ""))
        if configured, event.action == .removed { events.publish(.warning, message: "the configured \(event.kind.rawValue) \(event.device) went away") }
        logger.notice("device event", metadata: ["device": "\(event.device)", "kind": "\(event.kind.rawValue)", "action": "\(event.action.rawValue)"])
    }
}
