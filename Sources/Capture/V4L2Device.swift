import CV4L2
import Foundation

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

    private static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// A failed V4L2 call on a device node.
public struct V4L2Error: Error, Equatable, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public var description: String { "\(operation) on \(path): \(String(cString: strerror(code)))" }
}
