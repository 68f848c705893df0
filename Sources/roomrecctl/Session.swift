import ArgumentParser
import ControlClient
import ControlContract
import Foundation

extension RoomRecCtl {
    struct Session: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the room between the rooms of its online session (breakout rooms).",
            discussion: """
                Each room visited is a recording of its own, as the room platforms record breakouts: the recording in progress \
                ends ("moved to breakout Group A") and the next starts in the other room, named "… (Group A)"; all of them share \
                a session id (roomrecctl recordings show).
                """,
            subcommands: [Move.self, Return.self])

        struct Move: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Leave the room for a breakout room of the session.")
            @OptionGroup var options: CommonOptions
            @Argument(help: "The breakout room (a Janus VideoRoom's number).") var room: String
            @Option(help: "The breakout's name, which its recording carries (default: its name in [session.breakouts]).") var name: String?

            func run() async throws {
                var body: [String: String] = ["room": room]
                if let name { body["name"] = name }
                try await options.call("POST", "/v1/session/room", body: try JSONEncoder().encode(body)) { response in
                    Session.describe(try response.decode(SessionStatus.self))
                }
            }
        }

        struct Return: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "return", abstract: "Go back to the session's main room.")
            @OptionGroup var options: CommonOptions

            func run() async throws {
                try await options.call("DELETE", "/v1/session/room") { response in
                    Session.describe(try response.decode(SessionStatus.self))
                }
            }
        }

        static func describe(_ status: SessionStatus) -> String {
            if let breakout = status.breakout { return "moving to breakout \(breakout) (room \(status.room))" }
            return "in the main room (room \(status.room))"
        }
    }
}
