import RecorderCore

/// The small interface a camera is used through: what it is and the modes it offers (the V4L2 enumeration
/// ioctls). ``V4L2Camera`` is the real one; tests use a scripted one that replays real cameras' answers, so mode
/// choice is tested on the same path the real camera takes.
public protocol CameraDevice {
    /// The device node or name it was opened as.
    var path: String { get }
    /// What VIDIOC_QUERYCAP says.
    func capability() throws(V4L2Error) -> V4L2Device.Capability
    /// Every pixel format, discrete size and frame interval it offers (VIDIOC_ENUM_FMT, _FRAMESIZES, _FRAMEINTERVALS).
    func modes() throws(V4L2Error) -> [CameraMode]
    /// Sets `mode` and starts streaming.
    func startStreaming(_ mode: CameraMode) throws(V4L2Error) -> CameraStream
    /// Sets controls by their `v4l2-ctl` names; returns what could not be set, each with why.
    func setControls(_ values: [String: Int]) -> [String]
}

extension CameraDevice {
    /// The mode to record 1080p30 from, and why (see ``CameraModeChoice``); throws when the camera offers no
    /// format RoomRecorder can use, naming the device and what it offers.
    public func chooseMode() throws(CameraSetupError) -> (mode: CameraMode, reason: String) {
        let offered: [CameraMode]
        do { offered = try modes() } catch { throw CameraSetupError(path: path, message: "its formats cannot be read: \(error)") }
        guard let choice = CameraModeChoice.choose(from: offered) else {
            let formats = Set(offered.map(\.pixelFormat)).sorted().joined(separator: ", ")
            throw CameraSetupError(path: path, message: "it offers no format RoomRecorder can record (\(formats.isEmpty ? "none" : formats)); "
                                   + "it needs one of \(CameraModeChoice.formats.joined(separator: ", "))")
        }
        return choice
    }
}

/// A camera that cannot be used as it is, with the device and what to do.
public struct CameraSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "camera \(path): \(message)" }
}

/// A V4L2 video-capture node.
public struct V4L2Camera: CameraDevice, Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func capability() throws(V4L2Error) -> V4L2Device.Capability { try V4L2Device.queryCapability(path: path) }

    /// The camera's own modes; for a camera none of whose formats RoomRecorder can use as they are (Bayer,
    /// vendor-specific), the modes libv4l2 converts them to.
    public func modes() throws(V4L2Error) -> [CameraMode] {
        let native = try V4L2Device.enumerateModes(path: path)
        guard CameraModeChoice.choose(from: native) == nil else { return native }
        return (try? V4L2Device.enumerateModes(path: path, driver: V4L2Library())) ?? native
    }

    /// Streams `mode` from the kernel's driver, or through libv4l2 when it is a mode only libv4l2 offers.
    public func startStreaming(_ mode: CameraMode) throws(V4L2Error) -> CameraStream {
        let native = (try? V4L2Device.enumerateModes(path: path)) ?? []
        return try V4L2Stream(path: path, mode: mode, driver: native.contains(mode) ? V4L2Kernel() : V4L2Library())
    }

    public func setControls(_ values: [String: Int]) -> [String] { V4L2Device.setControls(values, path: path) }
}
