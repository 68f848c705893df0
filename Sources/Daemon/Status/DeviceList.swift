import Capture
import ControlContract
import Foundation
import Logging
import RecorderCore

/// The cameras and microphones: the configured ones first, then what is attached. Probing every /dev/video* node
/// and sound card on each status call would cost milliseconds while the encoder keeps the cores busy, so the
/// attached devices are listed again after five seconds, or at once after a device event.
actor DeviceList {
    private let config: LiveConfiguration
    private let events: EventHub
    private let logger: Logger
    private var inventory: (read: MonotonicInstant, devices: [DeviceInfo])?

    init(config: LiveConfiguration, events: EventHub, logger: Logger) {
        self.config = config
        self.events = events
        self.logger = logger
    }

    /// The devices, the room's own shown `inUse` while it records or publishes into its online room.
    func devices(inUse: Bool) -> [DeviceInfo] {
        if inventory.map({ MonotonicInstant.now().seconds(since: $0.read) > 5 }) ?? true {
            inventory = (MonotonicInstant.now(), DeviceInventory.cameras() + DeviceInventory.microphones())
        }
        let capture = config.current.capture
        let camera = switch capture.camera {
        case .synthetic: DeviceInfo(kind: .camera, id: "synthetic", name: "Synthetic stage (1920×1080, 30 fps)", inUse: inUse)
        case .v4l2(let path): DeviceInfo(kind: .camera, id: path, name: "V4L2 camera \(path) (configured)", inUse: inUse)
        }
        let microphone = switch capture.microphone {
        case .synthetic: DeviceInfo(kind: .microphone, id: "synthetic", name: "Synthetic tone (48 kHz stereo)", inUse: inUse)
        case .alsa(let name): DeviceInfo(kind: .microphone, id: name, name: "ALSA capture \(name) (configured)", inUse: inUse)
        }
        return [camera, microphone] + (inventory?.devices ?? [])
    }

    /// A camera or microphone appeared or went away: the list is read again, and subscribers are told (a warning
    /// if it is the configured one and it went away).
    func changed(_ event: DeviceEvent) {
        inventory = nil
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
