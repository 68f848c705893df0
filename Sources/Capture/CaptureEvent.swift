/// What happened to a capture device (a camera, a microphone), for events and logs. Each text names the device.
public enum CaptureEvent: Sendable, Equatable {
    /// Opened, with what it was set up as.
    case opened(String)
    /// Gone or failing, with why; it is opened again until it is back.
    case lost(String)
    /// Back after it was lost.
    case recovered(String)
}
