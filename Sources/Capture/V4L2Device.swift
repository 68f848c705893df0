import CV4L2
import Foundation
import RecorderCore

/// Typed wrappers of the V4L2 ioctls RoomRecorder uses, with `errno` turned into ``V4L2Error``.
public enum V4L2Device {
    /// What `VIDIOC_QUERYCAP` says of a device node.
    public struct Capability: Equatable, Sendable {
        public var driver: String
        public var card: String
        public var busInfo: String
        /// The capabilities of this node (not of the whole device).
        public var deviceCaps: UInt32

        public var isVideoCapture: Bool { deviceCaps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 }

        public init(driver: String, card: String, busInfo: String, deviceCaps: UInt32) {
            self.driver = driver
            self.card = card
            self.busInfo = busInfo
            self.deviceCaps = deviceCaps
        }
    }

    public static func queryCapability(path: String) throws(V4L2Error) -> Capability {
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw V4L2Error(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        var cap = v4l2_capability()
        guard rr_ioctl(fd, rr_vidioc_querycap(), &cap) == 0 else { throw V4L2Error(operation: "VIDIOC_QUERYCAP", path: path, code: errno) }
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        return Capability(driver: string(cap.driver), card: string(cap.card), busInfo: string(cap.bus_info), deviceCaps: caps)
    }

    /// Every capture format, discrete frame size and discrete frame interval the node offers (through libv4l2:
    /// with the formats it converts to as well). A stepwise or continuous size range contributes its largest size;
    /// a stepwise interval its fastest and slowest rates.
    public static func enumerateModes(path: String, driver: V4L2Driver = V4L2Kernel()) throws(V4L2Error) -> [CameraMode] {
        let fd = driver.open(path)
        guard fd >= 0 else { throw V4L2Error(operation: "open", path: path, code: errno) }
        defer { driver.close(fd) }
        var modes: [CameraMode] = []
        var format = v4l2_fmtdesc()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        while driver.ioctl(fd, rr_vidioc_enum_fmt(), &format) == 0 {
            let fourcc = Self.fourcc(format.pixelformat)
            var size = v4l2_frmsizeenum()
            size.pixel_format = format.pixelformat
            var sizes: [(UInt32, UInt32)] = []
            while driver.ioctl(fd, rr_vidioc_enum_framesizes(), &size) == 0 {
                if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                    sizes.append((size.discrete.width, size.discrete.height))
                } else {
                    sizes.append((size.stepwise.max_width, size.stepwise.max_height))
                    break
                }
                size.index += 1
            }
            for (width, height) in sizes {
                var interval = v4l2_frmivalenum()
                interval.pixel_format = format.pixelformat
                interval.width = width
                interval.height = height
                while driver.ioctl(fd, rr_vidioc_enum_frameintervals(), &interval) == 0 {
                    let fractions = interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue ? [interval.discrete]
                        : [interval.stepwise.min, interval.stepwise.max]
                    for f in fractions where f.numerator > 0 {
                        modes.append(CameraMode(fourcc, Int(width), Int(height), fps: Double(f.denominator) / Double(f.numerator)))
                    }
                    if interval.type != V4L2_FRMIVAL_TYPE_DISCRETE.rawValue { break }
                    interval.index += 1
                }
            }
            format.index += 1
        }
        guard errno == EINVAL || !modes.isEmpty else { throw V4L2Error(operation: "VIDIOC_ENUM_FMT", path: path, code: errno) }
        return modes
    }

    /// The controls a camera offers, by the names `v4l2-ctl --list-ctrls` prints ("Focus, Absolute" becomes
    /// `focus_absolute`), with their ids.
    static func controls(fd: Int32) -> [String: UInt32] {
        var controls: [String: UInt32] = [:]
        var query = v4l2_queryctrl()
        query.id = rr_ctrl_flag_next_ctrl()
        while rr_ioctl(fd, rr_vidioc_queryctrl(), &query) == 0 {
            if query.flags & UInt32(V4L2_CTRL_FLAG_DISABLED) == 0, query.type != V4L2_CTRL_TYPE_CTRL_CLASS.rawValue {
                controls[controlName(string(query.name))] = query.id
            }
            query.id |= rr_ctrl_flag_next_ctrl()
        }
        return controls
    }

    /// v4l2-ctl's spelling of a control's name: lower case, anything but letters and digits as one underscore.
    public static func controlName(_ name: String) -> String {
        var result = ""
        for character in name.lowercased() {
            if character.isLetter || character.isNumber {
                result.append(character)
            } else if !result.isEmpty, result.last != "_" {
                result.append("_")
            }
        }
        return result.hasSuffix("_") ? String(result.dropLast()) : result
    }

    /// Sets each control by name (automatic modes first, so a manual value is not refused while the automatic one
    /// is on); returns what could not be set, each with why and, for an unknown name, what the camera offers.
    public static func setControls(_ values: [String: Int], path: String) -> [String] {
        guard !values.isEmpty else { return [] }
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return ["controls not set: \(V4L2Error(operation: "open", path: path, code: errno))"] }
        defer { close(fd) }
        let offered = controls(fd: fd)
        var failures: [String] = []
        let automaticFirst = values.sorted { ($0.key.contains("auto") ? 0 : 1, $0.key) < ($1.key.contains("auto") ? 0 : 1, $1.key) }
        for (name, value) in automaticFirst {
            guard let id = offered[name] else {
                failures.append("\(path) has no control \(name) (it has \(offered.keys.sorted().joined(separator: ", ")))")
                continue
            }
            var control = v4l2_control(id: id, value: Int32(clamping: value))
            if rr_ioctl(fd, rr_vidioc_s_ctrl(), &control) != 0 {
                failures.append("\(name) = \(value): \(V4L2Error(operation: "VIDIOC_S_CTRL", path: path, code: errno))")
            }
        }
        return failures
    }

    /// "MJPG" for V4L2_PIX_FMT_MJPEG, and so on.
    public static func fourcc(_ code: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8((code >> ($0 * 8)) & 0xff) }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    private static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// A failed V4L2 call on a device node.
public struct V4L2Error: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public var description: String {
        let hint = switch code {
        case EBUSY: " (another program is using the camera; stop it)"
        case ENOENT: " (no such device; `roomrecctl devices` lists the cameras, and /dev/v4l/by-id/ their stable names)"
        case ENODEV: " (the camera is gone; check its USB cable)"
        case EACCES: " (no permission; the service user needs the video group)"
        default: ""
        }
        return "\(operation) on \(path): \(String(cString: strerror(code)))\(hint)"
    }

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }
}
