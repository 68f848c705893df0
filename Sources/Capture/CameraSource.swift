import Foundation
import Media
import RecorderCore
import Synchronization

/// The room camera as a stage source: it chooses the camera's mode (``CameraModeChoice``), streams, decodes
/// (``CameraDecoder``) and delivers each picture stamped with its capture instant. A camera that is unplugged or
/// fails is not the end of a recording: the stage shows its last picture, then the slate, while the camera is
/// opened again every half second; when it is back its pictures return within a couple of seconds. A camera
/// that stops sending for three seconds without an error is restarted the same way.
public final class CameraSource: Sendable {
    private let device: any CameraDevice & Sendable
    /// V4L2 controls set each time the camera is opened (a camera plugged back in has forgotten them).
    private let controls: [String: Int]
    /// How long to wait between attempts to open a lost camera.
    static let retryInterval = 0.5

    public init(device: any CameraDevice & Sendable, controls: [String: Int] = [:]) {
        self.device = device
        self.controls = controls
    }

    public var path: String { device.path }

    /// Streams until `stop` is set, handing each picture to `deliver`.
    public func run(deliver: (MediaFrame) -> Void, events: (CaptureEvent) -> Void, stop: borrowing Atomic<Bool>) {
        var stream: CameraStream?
        var decoder: CameraDecoder?
        var lost = false
        var silentSeconds = 0
        defer { stream?.stop() }
        func drop(_ why: String) {
            stream?.stop()
            stream = nil
            if !lost { events(.lost("camera \(device.path): \(why)")) }
            lost = true
        }
        while !stop.load(ordering: .relaxed) {
            if stream == nil {
                do {
                    let (mode, reason) = try device.chooseMode()
                    decoder = try CameraDecoder(mode: mode)
                    stream = try device.startStreaming(mode)
                    let refused = device.setControls(controls)
                    let set = controls.isEmpty ? "" : refused.isEmpty ? "; controls set: \(controls.keys.sorted().joined(separator: ", "))"
                        : "; controls not set: \(refused.joined(separator: "; "))"
                    events(lost ? .recovered("camera \(device.path): \(mode)\(set)") : .opened("camera \(device.path): \(mode) (\(reason))\(set)"))
                    lost = false
                    silentSeconds = 0
                } catch {
                    drop("\(error)")
                    Thread.sleep(forTimeInterval: Self.retryInterval)
                    continue
                }
            }
            do {
                let got = try stream!.next(timeout: 1) { bytes, capturedAt in
                    if let picture = try decoder!.decode(bytes, capturedAt: capturedAt, bytesPerLine: stream!.bytesPerLine) { deliver(picture) }
                }
                silentSeconds = got ? 0 : silentSeconds + 1
                if silentSeconds >= 3 { drop("no picture for 3 s; restarting it") }
            } catch {
                drop("\(error)")
            }
        }
    }
}
