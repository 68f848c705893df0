import CALSA
import CV4L2
import Foundation
import RecorderCore

/// Lists the cameras (V4L2 video-capture nodes, metadata nodes skipped) and microphones (ALSA capture PCMs)
/// attached to this computer.
public enum DeviceInventory {
    public static func cameras(devDirectory: String = "/dev") -> [DeviceInfo] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: devDirectory)) ?? []
        return names.filter { $0.hasPrefix("video") }.sorted { $0.localizedStandardCompare($1) == .orderedAscending }.compactMap { name in
            let path = "\(devDirectory)/\(name)"
            guard let capability = try? V4L2Device.queryCapability(path: path), capability.isVideoCapture else { return nil }
            let camera = V4L2Camera(path: path)
            let modes = (try? camera.modes()) ?? []
            let mode: String
            do {
                let choice = try camera.chooseMode()
                mode = "\(choice.mode) (\(choice.reason))"
            } catch {
                mode = "\(error)"
            }
            return DeviceInfo(kind: .camera, id: path, name: capability.card, inUse: false, mode: mode, modes: modes.map(\.description))
        }
    }

    public static func microphones() -> [DeviceInfo] {
        var devices: [DeviceInfo] = []
        var card: Int32 = -1
        while snd_card_next(&card) == 0, card >= 0 {
            var ctl: OpaquePointer?
            guard snd_ctl_open(&ctl, "hw:\(card)", 0) >= 0, let ctl else { continue }
            defer { snd_ctl_close(ctl) }
            var cardName: UnsafeMutablePointer<CChar>?
            snd_card_get_name(card, &cardName)
            let name = cardName.map { String(cString: $0) } ?? "card \(card)"
            free(cardName)
            var info: OpaquePointer?
            guard snd_pcm_info_malloc(&info) >= 0, let info else { continue }
            defer { snd_pcm_info_free(info) }
            var device: Int32 = -1
            while snd_ctl_pcm_next_device(ctl, &device) >= 0, device >= 0 {
                snd_pcm_info_set_device(info, UInt32(device))
                snd_pcm_info_set_subdevice(info, 0)
                snd_pcm_info_set_stream(info, SND_PCM_STREAM_CAPTURE)
                guard snd_ctl_pcm_info(ctl, info) >= 0 else { continue }
                let pcmName = String(cString: snd_pcm_info_get_name(info))
                devices.append(DeviceInfo(kind: .microphone, id: "hw:\(card),\(device)", name: "\(name): \(pcmName)", inUse: false))
            }
        }
        return devices
    }
}
