import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `Tests/Peers/kaltura_server.py` on 127.0.0.1: the subset of the Kaltura API v3 the Kaltura target uses, with
/// Kaltura's request and answer formats and errors. Partner 1234, app token `0_apptoken` / `a3f1c0de`,
/// categories 77 and 78.
public final class KalturaServer: @unchecked Sendable {
    public static let partnerId = 1234
    public static let appTokenId = "0_apptoken"
    public static let appToken = "a3f1c0de"

    /// What the server holds, read through its test-only `/_test/state`.
    public struct State: Decodable {
        public struct Entry: Decodable {
            public var id: String
            public var name: String
            public var description: String
            public var referenceId: String?
            public var userId: String
            public var status: Int
            public var entitledUsersEdit: String?
            public var templateEntryId: String?
        }
        public struct Token: Decodable {
            public var id: String
            public var status: Int
            public var uploadedFileSize: Double
        }
        public struct CategoryEntry: Decodable {
            public var categoryId: Int
            public var entryId: String
        }
        public var entries: [Entry]
        public var tokens: [Token]
        public var categoryEntries: [CategoryEntry]
        /// Every API call, as `service.action` in lower case, in order.
        public var calls: [String]
    }

    public let port: Int
    public var serviceURL: String { "http://127.0.0.1:\(port)" }
    /// Where an entry's content lands: `<storage>/entries/<entry id>`.
    public let storage: TemporaryDirectory
    private let process: PeerProcess

    /// - Parameters:
    ///   - ksExpiry: seconds a session started from the app token lasts.
    ///   - hashType: the app token's hash type.
    public init(ksExpiry: Int = 86400, hashType: String = "SHA256") throws {
        port = LoopbackPort.free()
        storage = try TemporaryDirectory(prefix: "kaltura")
        process = try PeerProcess(script: "kaltura_server.py", port: port, storage: storage.path,
                                  arguments: ["--ks-expiry", "\(ksExpiry)", "--hash-type", hashType])
    }

    public func stop() { process.stop() }

    public func state() throws -> State {
        try JSONDecoder().decode(State.self, from: fetch(URLRequest(url: URL(string: "\(serviceURL)/_test/state")!)))
    }

    /// Stores schedule resources, events, links, entries and categories as a test gives them (`POST /_test/seed`,
    /// its JSON described in `docs/kaltura-schedule.md`).
    public func seed(_ json: String) throws {
        var request = URLRequest(url: URL(string: "\(serviceURL)/_test/seed")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(json.utf8)
        _ = try fetch(request)
    }

    /// Makes the next `count` API calls answer the `KalturaAPIException` `code` (or, for digits, that HTTP status).
    public func failNext(_ code: String, count: Int = 1) throws {
        var request = URLRequest(url: URL(string: "\(serviceURL)/_test/fail?code=\(code)&count=\(count)")!)
        request.httpMethod = "POST"
        _ = try fetch(request)
    }

    private func fetch(_ request: URLRequest) throws -> Data { try PeerRequest.send(request) }

    /// The path of an entry's content.
    public func contentPath(of entryId: String) -> String { "\(storage.path)/entries/\(entryId)" }
}
