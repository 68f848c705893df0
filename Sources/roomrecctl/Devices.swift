import ArgumentParser
import ControlClient
import RecorderCore

extension RoomRecCtl {
    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cameras and microphones.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await options.call("GET", "/v1/devices") { response in
                struct List: Decodable { var devices: [DeviceInfo] }
                return Format.table(header: ["KIND", "ID", "NAME", "IN USE", "MODE FOR 1080P30"], rows: try response.decode(List.self).devices.map {
                    [$0.kind.rawValue, $0.id, $0.name, $0.inUse ? "yes" : "", $0.mode ?? ""]
                })
            }
        }
    }
}
