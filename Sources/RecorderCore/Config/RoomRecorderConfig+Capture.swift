import Foundation

extension RoomRecorderConfig {
    /// `[capture]`: what the stage is captured from.
    public struct Capture: Equatable, Sendable {
        /// Video source; `synthetic` is the moving test stage with burned-in clock and frame number.
        public var camera = CameraSetting.synthetic
        /// Audio source; `synthetic` is a 48 kHz tone with a beep once a second, aligned with the video's flash.
        public var microphone = MicrophoneSetting.synthetic
        /// V4L2 controls set on the camera when it is opened (`[capture.controls]`), by the names
        /// `v4l2-ctl --list-ctrls` prints (`focus_absolute`, `white_balance_temperature`, `zoom_absolute`, …);
        /// booleans as 1 and 0.
        public var controls: [String: Int] = [:]
    }
}

extension RoomRecorderConfig.Capture {
    /// Reads `[capture]` and `[capture.controls]`; a key left out keeps its default.
    init(reading capture: ConfigReader) throws(ConfigError) {
        self.init()
        switch try capture.string("camera") {
        case nil, "synthetic"?: camera = .synthetic
        case let path? where path.hasPrefix("/dev/"): camera = .v4l2(path)
        case let other?:
            throw capture.error("camera", "expected \"synthetic\" or a V4L2 device such as \"/dev/v4l/by-id/usb-…-video-index0\" or \"/dev/video0\", got \"\(other)\"")
        }
        controls = try capture.section("controls").integers()
        switch try capture.string("microphone") {
        case nil, "synthetic"?: microphone = .synthetic
        case let name? where !name.trimmingCharacters(in: .whitespaces).isEmpty: microphone = .alsa(name)
        case _?: throw capture.error("microphone", "expected \"synthetic\" or an ALSA PCM such as \"default\", \"plughw:CARD=Conference,DEV=0\" or \"hw:1,0\"")
        }
        try capture.rejectUnknownKeys()
    }
}

/// Where the room's picture comes from.
public enum CameraSetting: Equatable, Sendable {
    /// The synthetic test stage.
    case synthetic
    /// A V4L2 capture device, best named by its stable `/dev/v4l/by-id/…` link.
    case v4l2(String)
}

/// Where the room's sound comes from.
public enum MicrophoneSetting: Equatable, Sendable {
    /// The synthetic tone with its beep once a second.
    case synthetic
    /// An ALSA capture PCM: `default`, `plughw:CARD=<name>,DEV=0`, `hw:1,0`, or any name from `arecord -L`.
    case alsa(String)
}
