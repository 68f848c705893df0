import ArgumentParser
import ControlClient
import ControlContract
import Foundation
import RecorderCore

extension RoomRecCtl {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow events: recording states, upload progress, warnings.")
        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "Stop after this many events.") var count: Int?

        func run() async throws {
            var seen = 0
            let limit = count
            let json = options.json
            let status: Int
            do {
                status = try await options.client.follow("/v1/events") { event in
                    // Written unbuffered, so a pipe sees each event as it happens.
                    if json {
                        FileHandle.standardOutput.write(Data((event.data + "\n").utf8))
                    } else if let parsed = try? ControlJSON.decoder().decode(ControlEvent.self, from: Data(event.data.utf8)) {
                        FileHandle.standardOutput.write(Data((Format.event(parsed) + "\n").utf8))
                    }
                    seen += 1
                    return limit.map { seen < $0 } ?? true
                }
            } catch {
                FileHandle.standardError.write(Data("roomrecctl: \(error)\n".utf8))
                throw ExitCode(3)
            }
            guard status == 200 else {
                FileHandle.standardError.write(Data("roomrecctl: the daemon refused to stream events (HTTP \(status))\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
