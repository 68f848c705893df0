/// A camera or microphone appearing or disappearing, read from the kernel's device events (uevents): the
/// message a `NETLINK_KOBJECT_UEVENT` socket receives, `add@/devices/…` followed by `KEY=value` fields, each
/// ended by a NUL byte. Pure, so tests feed it the messages real devices send.
public struct DeviceEvent: Equatable, Sendable, CustomStringConvertible {
    public enum Action: String, Sendable { case added = "add", removed = "remove" }
    public enum Kind: String, Codable, Sendable { case camera, microphone }

    public var action: Action
    public var kind: Kind
    /// `/dev/video0`, or the ALSA device `hw:1,0` of a capture PCM.
    public var device: String

    public init(action: Action, kind: Kind, device: String) {
        self.action = action
        self.kind = kind
        self.device = device
    }

    public var description: String { "\(kind.rawValue) \(device) \(action == .added ? "appeared" : "went away")" }

    /// The event in one uevent message, if it is a video-capture node or an ALSA capture PCM being added or removed.
    public static func parse(_ message: [UInt8]) -> DeviceEvent? {
        var fields: [String: String] = [:]
        for part in message.split(separator: 0) {
            let text = String(decoding: part, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            fields[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        guard let action = fields["ACTION"].flatMap(Action.init(rawValue:)), let name = fields["DEVNAME"] else { return nil }
        switch fields["SUBSYSTEM"] {
        case "video4linux" where name.hasPrefix("video") || name.hasPrefix("/dev/video"):
            return DeviceEvent(action: action, kind: .camera, device: name.hasPrefix("/") ? name : "/dev/\(name)")
        case "sound":
            // snd/pcmC1D0c: card 1, device 0, capture.
            let node = name.split(separator: "/").last.map(String.init) ?? name
            guard node.hasPrefix("pcmC"), node.hasSuffix("c"), let d = node.firstIndex(of: "D"),
                  let card = Int(node[node.index(node.startIndex, offsetBy: 4)..<d]),
                  let device = Int(node[node.index(after: d)..<node.index(before: node.endIndex)]) else { return nil }
            return DeviceEvent(action: action, kind: .microphone, device: "hw:\(card),\(device)")
        default:
            return nil
        }
    }
}
