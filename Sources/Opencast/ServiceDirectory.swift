import Foundation
import RecorderCore

/// Where Opencast's services are: asked of the service registry (`services/available.json`), unless the
/// configuration names an endpoint (a load balancer in front of several nodes). The last good answer for each
/// service is kept: when the registry cannot be asked, the agent goes on with what it knew.
public actor ServiceDirectory {
    /// The services a capture agent uses, by their registry type.
    public enum Service: String, Sendable, CaseIterable {
        case captureAdmin = "org.opencastproject.capture.admin"
        case scheduler = "org.opencastproject.scheduler"
        case ingest = "org.opencastproject.ingest"
        case workflow = "org.opencastproject.workflow"

        /// Where Opencast serves it on a single node, for an admin node whose registry lists none.
        var defaultPath: String {
            switch self {
            case .captureAdmin: "/capture-admin"
            case .scheduler: "/recordings"
            case .ingest: "/ingest"
            case .workflow: "/workflow"
            }
        }
    }

    private let client: OpencastClient
    private let server: URL
    private let overrides: [Service: URL]
    private var known: [Service: URL] = [:]

    public init(client: OpencastClient, server: URL, overrides: [Service: URL] = [:]) {
        self.client = client
        self.server = server
        self.overrides = overrides
    }

    /// The directory `[opencast]` describes.
    public init(client: OpencastClient, settings: RoomRecorderConfig.Opencast) {
        var overrides: [Service: URL] = [:]
        overrides[.captureAdmin] = settings.captureAdminURL.flatMap(URL.init(string:))
        overrides[.scheduler] = settings.schedulerURL.flatMap(URL.init(string:))
        overrides[.ingest] = settings.ingestURL.flatMap(URL.init(string:))
        self.init(client: client, server: URL(string: settings.url)!, overrides: overrides)
    }

    /// The endpoint of `service`: the configured one, the one found before (unless `refresh`), else the
    /// registry's least loaded usable host. A failed lookup falls back on the last good answer; with none, it
    /// throws.
    public func endpoint(_ service: Service, refresh: Bool = false) async throws -> URL {
        if let configured = overrides[service] { return configured }
        if !refresh, let found = known[service] { return found }
        do {
            let found = try await lookUp(service)
            known[service] = found
            return found
        } catch {
            if let previous = known[service] { return previous }
            throw error
        }
    }

    private func lookUp(_ service: Service) async throws -> URL {
        let url = Self.registryURL(of: server, for: service)
        let response = try client.require(try await client.send("GET", url, headers: ["Accept": "application/json"]), [200],
                                          doing: "list its \(service.rawValue) services", url: url)
        let hosts = try Self.usableHosts(in: response.body)
        guard let first = hosts.first else {
            // Some single-node installations list nothing for a service the admin node itself serves.
            if service == .workflow { return server.appendingPathComponent(String(service.defaultPath.dropFirst())) }
            throw OpencastError(status: 0, message: "Opencast's service registry lists no usable \(service.rawValue) service (none online, active and out of maintenance)")
        }
        return first
    }

    /// The registry's answer for `service` on the admin node `server`: also a request that needs the user's
    /// credentials and changes nothing.
    public static func registryURL(of server: URL, for service: Service) -> URL {
        OpencastClient.url(OpencastClient.url(server, appending: ["services", "available.json"]), query: [("serviceType", service.rawValue)])
    }

    /// The endpoints (`host` + `path`) of the services in a registry answer that are online, active and not in
    /// maintenance, in the registry's order (least loaded first). One service is an object, several an array,
    /// none an empty string.
    static func usableHosts(in body: Data) throws -> [URL] {
        guard let entries = JettisonList.items(in: body, list: "services", item: "service") else {
            throw OpencastError(status: 0, message: "Opencast's service registry answered what is not a service list")
        }
        return entries.compactMap { entry in
            guard entry["online"] as? Bool ?? true, entry["active"] as? Bool ?? true, !(entry["maintenance"] as? Bool ?? false),
                  let host = entry["host"] as? String, let path = entry["path"] as? String else { return nil }
            return URL(string: (host.hasSuffix("/") ? String(host.dropLast()) : host) + (path.hasPrefix("/") ? path : "/" + path))
        }
    }
}

/// A list as Opencast's Jettison JSON provider writes it: `{"<list>": {"<item>": …}}` where the item is one object,
/// an array of them for several, and the list an empty string for none (the service registry, workflow lists).
enum JettisonList {
    /// The items; nil when the answer is not such a list at all.
    static func items(in body: Data, list: String, item: String) -> [[String: Any]]? {
        guard let root = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let value = root[list] else { return nil }
        switch (value as? [String: Any])?[item] {
        case let one as [String: Any]: return [one]
        case let many as [[String: Any]]: return many
        default: return []
        }
    }
}
