import Foundation

/// An Opencast media package as the ingest service hands it back and forth: its XML text is what the next call
/// sends, unchanged; the agent reads only its id and its tracks' ids.
public struct MediaPackage: Codable, Equatable, Sendable {
    static let namespace = "http://mediapackage.opencastproject.org"

    /// The XML exactly as Opencast answered it.
    public var xml: String
    public var id: String
    /// The ids of its tracks, in document order.
    public var trackIDs: [String]

    /// Reads an answer of the ingest service; throws when it is not a media package.
    public init(xml: String) throws {
        guard let outline = XMLOutline(Data(xml.utf8)), let root = outline.root, root.namespace == Self.namespace, root.name == "mediapackage",
              let id = root.attributes["id"], !id.isEmpty else {
            throw OpencastError(status: 0, message: "Opencast's ingest service answered what is not a media package: \(xml.prefix(120))")
        }
        self.xml = xml
        self.id = id
        trackIDs = outline.all(Self.namespace, "track").compactMap { $0.attributes["id"] }
    }
}

/// The workflow an ingest started, as far as the agent keeps it.
public struct WorkflowInstance: Codable, Equatable, Sendable {
    static let namespace = "http://workflow.opencastproject.org"

    public var id: String
    public var state: String
    public var mediaPackageID: String?

    public init(id: String, state: String, mediaPackageID: String?) {
        self.id = id
        self.state = state
        self.mediaPackageID = mediaPackageID
    }

    /// Reads the workflow instance XML that `ingest` answers.
    public init(xml: Data) throws {
        guard let outline = XMLOutline(xml), let root = outline.root, root.namespace == Self.namespace, root.name == "workflow",
              let id = root.attributes["id"] else {
            throw OpencastError(status: 0, message: "Opencast's ingest answered what is not a workflow instance: \(String(decoding: xml.prefix(120), as: UTF8.self))")
        }
        self.init(id: id, state: root.attributes["state"] ?? "", mediaPackageID: outline.all(Self.namespace, "mediaPackageId").first?.text)
    }

    /// The workflows of `workflow/mediaPackage/<id>/instances.json`: `{"workflows":""}` for none, one object or
    /// an array of them.
    static func list(json: Data) throws -> [WorkflowInstance] {
        guard let entries = JettisonList.items(in: json, list: "workflows", item: "workflow") else {
            throw OpencastError(status: 0, message: "Opencast's workflow service answered what is not a workflow list")
        }
        return entries.map { entry in
            let id = entry["id"].map { "\($0)" } ?? ""
            return WorkflowInstance(id: id, state: entry["state"] as? String ?? "", mediaPackageID: entry["mediaPackageId"] as? String)
        }
    }
}

/// A Dublin Core catalog: read for an event's presenters and series, written for an episode the agent
/// describes itself (an unscheduled recording, or one it puts into Opencast's schedule).
public struct DublinCore: Sendable {
    static let terms = "http://purl.org/dc/terms/"

    /// The `dcterms:` values by element name.
    public var values: [String: [String]]

    public init(xml: Data) {
        var values: [String: [String]] = [:]
        for element in XMLOutline(xml)?.elements ?? [] where element.namespace == Self.terms && !element.text.isEmpty {
            values[element.name, default: []].append(element.text)
        }
        self.values = values
    }

    /// An episode catalog: title, the agent as `spatial`, the recording's period as `temporal`, `created` equal
    /// to its start (Opencast's scheduler refuses any other), and the presenters as creators.
    public static func episode(title: String, agent: String, start: Date, end: Date, presenters: [String] = [], identifier: String? = nil) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let (from, to) = (formatter.string(from: start), formatter.string(from: end))
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<dublincore xmlns=\"http://www.opencastproject.org/xsd/1.0/dublincore/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
                + "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
            "  <dcterms:title>\(XMLText.escaped(title))</dcterms:title>",
            "  <dcterms:created xsi:type=\"dcterms:W3CDTF\">\(from)</dcterms:created>",
            "  <dcterms:temporal xsi:type=\"dcterms:Period\">start=\(from); end=\(to); scheme=W3C-DTF;</dcterms:temporal>",
            "  <dcterms:spatial>\(XMLText.escaped(agent))</dcterms:spatial>",
        ]
        if let identifier { lines.append("  <dcterms:identifier>\(XMLText.escaped(identifier))</dcterms:identifier>") }
        lines += presenters.map { "  <dcterms:creator>\(XMLText.escaped($0))</dcterms:creator>" }
        lines.append("</dublincore>")
        return lines.joined(separator: "\n") + "\n"
    }
}
