import ArgumentParser
import ControlClient
import Foundation

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The control socket (default: $ROOMREC_SOCKET or /run/roomrec/control.sock).")
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON instead of a table.")
    var json = false

    var client: ControlClient {
        ControlClient(socketPath: socket ?? ProcessInfo.processInfo.environment["ROOMREC_SOCKET"] ?? "/run/roomrec/control.sock")
    }

    /// Sends a request; prints the JSON as is with `--json`, else hands the response to `render`.
    /// An error response prints its problem and exits non-zero.
    func call(_ method: String, _ path: String, body: Data? = nil, render: (ControlClient.Response) throws -> String) async throws {
        let response = try await send(method, path, body: body)
        print(json ? String(decoding: response.body, as: UTF8.self) : try render(response), terminator: json ? "" : "\n")
    }

    /// Redraws the view of a GET every second until interrupted (`--watch`).
    func watch(_ path: String, render: (ControlClient.Response) throws -> String) async throws {
        while true {
            let response = try await send("GET", path)
            let view = json ? String(decoding: response.body, as: UTF8.self) : try render(response)
            // Home the cursor and clear the screen, then draw.
            FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + view + "\n\n" + Format.date(Date()) + "  (Ctrl-C to stop)\n").utf8))
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Sends a request and returns a successful response; reports a failure and exits 1 (refused) or 3 (unreachable).
    func send(_ method: String, _ path: String, body: Data? = nil) async throws -> ControlClient.Response {
        let response: ControlClient.Response
        do {
            response = try await client.send(method, path, json: body)
        } catch {
            FileHandle.standardError.write(Data("roomrecctl: \(error)\n".utf8))
            throw ExitCode(3)
        }
        guard (200..<300).contains(response.status) else {
            if json {
                print(String(decoding: response.body, as: UTF8.self), terminator: "")
            } else {
                let detail = response.problem.map { "\($0.title): \($0.detail)" } ?? String(decoding: response.body, as: UTF8.self)
                FileHandle.standardError.write(Data("roomrecctl: \(detail) (HTTP \(response.status))\n".utf8))
            }
            throw ExitCode(1)
        }
        return response
    }
}
