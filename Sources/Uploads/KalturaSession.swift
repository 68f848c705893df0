import Crypto
import Foundation
import Networking
import RecorderCore

/// Keeps a Kaltura session (KS) made from an app token, so no admin secret lives on the room computer: a widget
/// session (`session.startWidgetSession` with `_<partner id>`), then `appToken.startSession` with the hash of that
/// KS and the token. The KS is renewed before it expires, and at once when the server calls it invalid.
public actor KalturaSession {
    /// How the app token's hash is made (its `hashType`).
    public enum HashType: String, Sendable {
        case sha1 = "SHA1", sha256 = "SHA256", sha512 = "SHA512", md5 = "MD5"

        func hex(_ text: String) -> String {
            let data = Data(text.utf8)
            switch self {
            case .sha1: return FileDigest.hex(Insecure.SHA1.hash(data: data))
            case .sha256: return FileDigest.hex(SHA256.hash(data: data))
            case .sha512: return FileDigest.hex(SHA512.hash(data: data))
            case .md5: return FileDigest.hex(Insecure.MD5.hash(data: data))
            }
        }
    }

    private struct WidgetSession: Decodable { var ks: String }
    private struct SessionInfo: Decodable { var ks: String; var expiry: Double? }

    private let client: KalturaClient
    private let partnerId: Int
    private let tokenId: String
    private let token: String
    private let hashType: HashType
    private let userId: String?
    private let now: @Sendable () -> Date
    private var current: (ks: String, expires: Date, renewAt: Date)?

    public init(client: KalturaClient, partnerId: Int, appTokenId: String, appToken: String, hashType: HashType, userId: String? = nil,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.partnerId = partnerId
        self.tokenId = appTokenId
        self.token = appToken
        self.hashType = hashType
        self.userId = userId
        self.now = now
    }

    /// A valid KS, started or renewed as needed.
    public func ks() async throws -> String {
        if let current, now() < current.renewAt { return current.ks }
        let widget = try await client.call("session", "startWidgetSession", ks: nil, [("widgetId", "_\(partnerId)"), ("expiry", "600")],
                                           as: WidgetSession.self)
        var fields = [("id", tokenId), ("tokenHash", hashType.hex(widget.ks + token)), ("type", "0"), ("expiry", "86400")]
        if let userId { fields.append(("userId", userId)) }
        let info = try await client.call("appToken", "startSession", ks: widget.ks, fields, as: SessionInfo.self)
        let started = now()
        let expires = info.expiry.map { Date(timeIntervalSince1970: $0) } ?? started.addingTimeInterval(86400)
        // Renewed when a tenth of its life (at most 10 minutes) is left, so no call is made with an expiring KS.
        let margin = min(600, max(0, expires.timeIntervalSince(started)) / 10)
        current = (info.ks, expires, expires.addingTimeInterval(-margin))
        return info.ks
    }

    /// Forgets `ks` after the server refused it; the next ``ks()`` starts a new session.
    public func invalidate(_ ks: String) {
        if current?.ks == ks { current = nil }
    }
}

extension KalturaSession {
    /// The client and app-token session `[library.kaltura]` describes, the token read from its file: one for the
    /// upload target, one for the schedule reader.
    public static func configured(by settings: RoomRecorderConfig.Kaltura, timeout: TimeInterval = 120) throws -> (client: KalturaClient, session: KalturaSession) {
        let token = try SecretFile.read(settings.appTokenFile, what: "Kaltura app token").text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw SecretFile.Failure(description: "the Kaltura app token file \(settings.appTokenFile) is empty") }
        let client = KalturaClient(serviceURL: URL(string: settings.serviceURL)!, timeout: timeout)
        let session = KalturaSession(client: client, partnerId: settings.partnerId, appTokenId: settings.appTokenId, appToken: token,
                                     hashType: HashType(rawValue: settings.appTokenHashType) ?? .sha1, userId: settings.sessionUserId)
        return (client, session)
    }
}
