import Capture
import Foundation
import RecorderCore

/// A camera that answers as a real one did: its modes come from the recorded `v4l2-ctl --list-formats-ext`
/// output of that camera (Tests/Fixtures/v4l2/), through the same ``CameraDevice`` interface ``V4L2Camera``
/// implements. It stands in where a real camera cannot be attached. It streams real JPEG pictures of one colour
/// (made by the `ffmpeg` command line) at the chosen mode's rate, stamped on the monotonic clock; `failure`
/// makes every call, streaming included, fail as an unplugged camera's do (ENODEV).
public final class ScriptedCamera: CameraDevice, @unchecked Sendable {
    public let path: String
    public let card: String
    private let offered: [CameraMode]
    private let state = NSLock()
    private var _failure: Int32?
    /// The colour its pictures show, as ffmpeg names colours.
    public let colour: String
    /// Set (to ENODEV) to unplug it, nil to plug it back in.
    public var failure: Int32? {
        get { state.withLock { _failure } }
        set { state.withLock { _failure = newValue } }
    }

    /// The camera recorded in `fixture` (a file name in Tests/Fixtures/v4l2/).
    public init(fixture: String, colour: String = "red") throws {
        self.colour = colour
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

    public func startStreaming(_ mode: CameraMode) throws(V4L2Error) -> CameraStream {
        if let failure { throw V4L2Error(operation: "open", path: path, code: failure) }
        guard mode.pixelFormat == "MJPG" else { throw V4L2Error(operation: "VIDIOC_S_FMT(\(mode)): the scripted camera streams MJPEG only", path: path, code: EINVAL) }
        let picture: Data
        do {
            picture = try ProcessRunner.runData("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=c=\(colour):s=\(mode.width)x\(mode.height)",
                                                                    "-frames:v", "1", "-f", "mjpeg", "-"])
        } catch {
            throw V4L2Error(operation: "making the scripted picture: \(error)", path: path, code: EIO)
        }
        return Stream(camera: self, picture: picture, interval: 1 / mode.framesPerSecond)
    }

    /// The controls set on it, by name.
    public private(set) var controlsSet: [String: Int] = [:]
    /// The controls it has (as a C920's `v4l2-ctl --list-ctrls` names them).
    public static let controlNames: Set<String> = ["brightness", "contrast", "saturation", "white_balance_automatic", "gain",
                                                   "power_line_frequency", "white_balance_temperature", "sharpness", "backlight_compensation",
                                                   "auto_exposure", "exposure_time_absolute", "exposure_dynamic_framerate", "pan_absolute",
                                                   "tilt_absolute", "focus_absolute", "focus_automatic_continuous", "zoom_absolute"]

    public func setControls(_ values: [String: Int]) -> [String] {
        var refused: [String] = []
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            if Self.controlNames.contains(name) { state.withLock { controlsSet[name] = value } } else { refused.append("\(path) has no control \(name)") }
        }
        return refused
    }

    /// Frames at the mode's rate until the camera is unplugged.
    private final class Stream: CameraStream {
        let camera: ScriptedCamera
        let picture: Data
        let interval: Double
        var next = MonotonicInstant.now()

        init(camera: ScriptedCamera, picture: Data, interval: Double) {
            self.camera = camera
            self.picture = picture
            self.interval = interval
        }

        func next(timeout: Double, _ body: (UnsafeRawBufferPointer, MonotonicInstant) throws -> Void) throws -> Bool {
            if let failure = camera.failure { throw V4L2Error(operation: "VIDIOC_DQBUF", path: camera.path, code: failure) }
            let wait = next.seconds(since: .now())
            if wait > timeout {
                Thread.sleep(forTimeInterval: timeout)
                return false
            }
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            let stamp = MonotonicInstant.now()
            next = next.advanced(by: interval)
            try picture.withUnsafeBytes { try body($0, stamp) }
            return true
        }

        func stop() {}

        let bytesPerLine = 0
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
