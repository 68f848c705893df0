import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `Tests/Peers/opencast_server.py` on 127.0.0.1: Opencast's capture-admin, scheduler (calendars), ingest,
/// workflow and service-registry endpoints as Opencast answers them (docs/opencast-agent.md). Users: the
/// capture agent `capture_agent` / `CHANGE_ME` (Basic; ROLE_CAPTURE_AGENT) and the digest system account
/// `opencast_system_account` / `CHANGE_ME` (ROLE_ADMIN).
public final class OpencastServer: @unchecked Sendable {
    public static let password = "CHANGE_ME"

    /// What the server holds (`/_test/state`), the parts the tests read.
    public struct State: Decodable {
        public struct Agent: Decodable {
            public struct Post: Decodable {
                public var state: String
            }
            public var state: String
            public var capabilities: [String: String]?
            /// Everything the agent posted as its configuration (capabilities are part of it).
            public var configuration: [String: String]?
            public var history: [Post]
        }
        public struct RecordingPost: Decodable {
            public var state: String
        }
        public struct Upload: Decodable {
            public var endpoint: String
            public var mediaPackageId: String
            public var elementId: String
            public var bytes: Int64
            public var sha256: String?
            public var complete: Bool
            public var partial: Bool
            public var startTime: Int64?
        }
        public struct Ingest: Decodable {
            public struct Track: Decodable {
                public var elementId: String
                public var flavor: String
                public var stored: Bool
                public var sha256: String?
                public var bytes: Int64?
                public var partial: Bool
                public var startTime: Int64?
            }
            public var workflowId: Int
            public var mediaPackageId: String
            public var eventUid: String?
            public var workflowDefinitionId: String
            public var workflowInstanceId: String?
            public var configuration: [String: String]
            public var tracks: [Track]
            public var catalogs: [AnyDecodable]
        }
        public struct Call: Decodable {
            public var method: String
            public var path: String
            public var auth: String?
        }
        public var agents: [String: Agent]
        public var recordings: [String: [RecordingPost]]
        public var uploads: [Upload]
        public var ingests: [Ingest]
        public var calls: [Call]

        /// A recording's states as posted, a state repeated at once (a heartbeat's `capturing`) counted once.
        public func states(of uid: String) -> [String] {
            (recordings[uid] ?? []).map(\.state).reduce(into: []) { if $0.last != $1 { $0.append($1) } }
        }
    }

    /// Any JSON value, when only its count matters.
    public struct AnyDecodable: Decodable {
        public init(from decoder: any Decoder) throws {}
    }

    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    public let storage: TemporaryDirectory
    private let process: PeerProcess

    public init() throws {
        port = LoopbackPort.free()
        storage = try TemporaryDirectory(prefix: "opencast")
        process = try PeerProcess(script: "opencast_server.py", port: port, storage: storage.path)
    }

    public func stop() { process.stop() }

    public func state() throws -> State {
        try JSONDecoder().decode(State.self, from: PeerRequest.send(URLRequest(url: URL(string: "\(url)/_test/state")!)))
    }

    /// Seeds events, users and settings (`POST /_test/seed`, docs/opencast-agent.md section 10).
    public func seed(_ json: String) throws { _ = try PeerRequest.post("\(url)/_test/seed", json: json) }

    /// Injects faults: `fail("path=/ingest/ingest&action=drop-after&count=1")` (`count=0` takes them back).
    public func fail(_ query: String) throws { _ = try PeerRequest.post("\(url)/_test/fail?\(query)") }

    /// Slows or breaks the next uploads: `uploadFault("rate=2000000&count=1")`.
    public func uploadFault(_ query: String) throws { _ = try PeerRequest.post("\(url)/_test/upload-fault?\(query)") }

    /// The `[opencast]` section for this server, its password in a mode-600 file in `root`; `library` adds
    /// `[library] target = "opencast"`.
    public func sections(root: TemporaryDirectory, user: String = "capture_agent", auth: String = "basic", password: String = OpencastServer.password,
                         library: Bool = true, extra: String = "") throws -> (library: String?, sections: String) {
        let passwordFile = "\(root.path)/opencast-password"
        try "\(password)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        let opencast = """
            [opencast]
            url = "\(url)"
            user = "\(user)"
            password_file = "\(passwordFile)"
            auth = "\(auth)"
            calendar_poll_seconds = 1
            \(extra)
            """
        let librarySection = library ? "[library]\ntarget = \"opencast\"\npath = \"\(root.path)/library\"" : nil
        return (librarySection, opencast)
    }
}
