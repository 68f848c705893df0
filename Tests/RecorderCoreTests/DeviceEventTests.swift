import RecorderCore
import XCTest

/// Kernel device events as a USB camera and a USB conference microphone send them when plugged and unplugged.
final class DeviceEventTests: XCTestCase {
    private func message(_ fields: [String]) -> [UInt8] { Array(fields.joined(separator: "\0").utf8) + [0] }

    func testACameraAndAMicrophoneComingAndGoing() {
        let camera = message(["add@/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/video4linux/video2", "ACTION=add",
                              "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/video4linux/video2", "SUBSYSTEM=video4linux",
                              "MAJOR=81", "MINOR=2", "DEVNAME=video2", "SEQNUM=4721"])
        XCTAssertEqual(DeviceEvent.parse(camera), DeviceEvent(action: .added, kind: .camera, device: "/dev/video2"))
        XCTAssertEqual(DeviceEvent.parse(camera)?.description, "camera /dev/video2 appeared")
        let capture = message(["remove@/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/sound/card1/pcmC1D0c", "ACTION=remove",
                               "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/sound/card1/pcmC1D0c", "SUBSYSTEM=sound",
                               "MAJOR=116", "MINOR=10", "DEVNAME=snd/pcmC1D0c", "SEQNUM=4730"])
        XCTAssertEqual(DeviceEvent.parse(capture), DeviceEvent(action: .removed, kind: .microphone, device: "hw:1,0"))
        // Playback PCMs, controls, the card itself, USB interfaces and "change" events are not device arrivals.
        let playback = message(["add@/devices/x/sound/card1/pcmC1D0p", "ACTION=add", "SUBSYSTEM=sound", "DEVNAME=snd/pcmC1D0p"])
        let control = message(["add@/devices/x/sound/card1/controlC1", "ACTION=add", "SUBSYSTEM=sound", "DEVNAME=snd/controlC1"])
        let usb = message(["add@/devices/x/usb1/1-2", "ACTION=add", "SUBSYSTEM=usb", "DEVNAME=bus/usb/001/007", "DEVTYPE=usb_device"])
        let change = message(["change@/devices/x/video4linux/video2", "ACTION=change", "SUBSYSTEM=video4linux", "DEVNAME=video2"])
        for other in [playback, control, usb, change] { XCTAssertNil(DeviceEvent.parse(other)) }
    }
}
