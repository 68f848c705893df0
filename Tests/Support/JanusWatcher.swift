import Foundation

/// A remote student watching the room, for the session tests: `Tests/Peers/janus_watcher.py`, a real WebRTC
/// peer (aiortc) that subscribes to the room's publication in a ``JanusServer`` room, decodes what arrives for a
/// few seconds and reports it, with the messages that came on the room's data channel.
public enum JanusWatcher {
    /// What the watcher received.
    public struct Report: Decodable, Sendable {
        public var videoFrames: Int
        public var width: Int
        public var height: Int
        /// Mean and spread of the pictures' brightness (0–255); a test pattern has a wide spread, a slate none.
        public var lumaMean: Double
        public var lumaStd: Double
        /// Pictures that were mostly white (the synthetic stage flashes white once a second).
        public var brightFrames: Int
        public var audioSeconds: Double
        /// Power at each asked frequency over the power at one nobody sends.
        public var tones: [String: Double]
        /// The distinct text messages that came on the room's data channel.
        public var messages: [String]
    }

    /// Watches the publisher whose display name starts with `display` for `seconds` (after a second to settle).
    public static func watch(janus: JanusServer, room: Int = 1234, display: String, seconds: Double, tones: [Int]) throws -> Report {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Peers/janus_watcher.py").standardized.path
        let result = try ProcessRunner.run("\(MotoServer.venv)/bin/python", [
            script, "--url", janus.url.absoluteString, "--room", "\(room)", "--display", display, "--duration", "\(seconds)",
            "--tones", tones.map(String.init).joined(separator: ","),
        ])
        guard let line = result.stdout.split(separator: "\n").first(where: { $0.contains("\"peer\": \"report\"") }) else {
            throw ProcessRunner.Failure(message: "the watcher reported nothing; it said:\n\(result.stdout)\n\(result.stderr)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Report.self, from: Data(line.utf8))
    }
}
