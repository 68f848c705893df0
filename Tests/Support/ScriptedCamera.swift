import Capture
import Foundation
import RecorderCore

/// A camera that answers as a real one did: its modes come from the recorded `v4l2-ctl --list-formats-ext`
/// output of that camera (Tests/Fixtures/v4l2/), through the same ``CameraDevice`` interface ``V4L2Camera``
/// implements. It stands in where a real camera cannot be attached; `failure` makes its calls fail as an
/// unplugged camera's do (ENODEV).
public struct ScriptedCamera: CameraDevice {
    public let path: String
    public let card: String
    private let offered: [CameraMode]
    public var failure: Int32?

    /// The camera recorded in `fixture` (a file name in Tests/Fixtures/v4l2/).
    public init(fixture: String) throws {
        let url = Self.fixtures.appendingPathComponent(fixture)
        let text = try String(contentsOf: url, encoding: .utf8)
        path = "/dev/v4l/by-id/\(fixture.replacingOccurrences(of: ".txt", with: ""))"
        card = text.split(separator: "\n").first.map { $0.hasPrefix("#") ? String($0.dropFirst(2).prefix { $0 != "—" }).trimmingCharacters(in: .whitespaces) : "" } ?? ""
        offered = Self.parse(text)
    }

    /// Where the recorded camera answers are.
    public static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/v4l2").standardized

    public func capability() throws(V4L2Error) -> V4L2Device.Capability {
        if let failure { throw V4L2Error(operation: "VIDIOC_QUERYCAP", path: path, code: failure) }
        return V4L2Device.Capability(driver: "uvcvideo", card: card, busInfo: "usb-0000:00:14.0-1", deviceCaps: 0x0420_0001)
    }

    public func modes() throws(V4L2Error) -> [CameraMode] {
        if let failure { throw V4L2Error(operation: "VIDIOC_ENUM_FMT", path: path, code: failure) }
        return offered
    }

    /// The modes in `v4l2-ctl --list-formats-ext` output, old style ("Pixel Format: 'YUYV'") or new ("[0]: 'MJPG'").
    public static func parse(_ text: String) -> [CameraMode] {
        var modes: [CameraMode] = []
        var format: String?
        var size: (Int, Int)?
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("Pixel Format:") || line.range(of: #"^\[\d+\]: '"#, options: .regularExpression) != nil,
               let quoted = line.range(of: #"'[^']{2,4}'"#, options: .regularExpression) {
                format = String(line[quoted].dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                size = nil
            } else if line.hasPrefix("Size:"), let match = line.range(of: #"\d+x\d+"#, options: [.regularExpression, .backwards]) {
                let parts = line[match].split(separator: "x").compactMap { Int($0) }
                size = (parts[0], parts[1])
            } else if line.hasPrefix("Interval:"), let format, let size,
                      let fps = line.range(of: #"\(([\d.]+) fps\)"#, options: .regularExpression) {
                let value = Double(line[fps].dropFirst().dropLast(" fps)".count)) ?? 0
                modes.append(CameraMode(format, size.0, size.1, fps: value))
            }
        }
        return modes
    }
}
