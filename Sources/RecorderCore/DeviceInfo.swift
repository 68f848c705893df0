/// A capture device seen on this computer, or the synthetic source.
public struct DeviceInfo: Codable, Equatable, Sendable {
    public var kind: DeviceEvent.Kind
    /// Device node or ALSA name, e.g. `/dev/video0`, `hw:CARD=Mic`.
    public var id: String
    public var name: String
    /// Whether the recording pipeline uses it.
    public var inUse: Bool
    /// For a camera: the mode it would record (or records) and why, or why it cannot be used.
    public var mode: String?
    /// For a camera: every mode it offers, e.g. "MJPG 1920x1080@30".
    public var modes: [String]?

    public init(kind: DeviceEvent.Kind, id: String, name: String, inUse: Bool, mode: String? = nil, modes: [String]? = nil) {
        self.kind = kind
        self.id = id
        self.name = name
        self.inUse = inUse
        self.mode = mode
        self.modes = modes
    }
}
