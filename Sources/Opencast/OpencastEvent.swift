import Calendars
import Foundation

/// One event of the agent's Opencast calendar: what to record when, and what its ingest needs (its UID, its
/// workflow and the workflow's configuration), read from the event's attachments.
public struct OpencastEvent: Codable, Equatable, Sendable {
    /// The event's id: the id of its recording state and the `workflowInstanceId` of its ingest.
    public var uid: String
    public var title: String
    public var start: Date
    public var end: Date
    /// The capture-agent properties (`org.opencastproject.capture.agent.properties`), key by key.
    public var properties: [String: String]
    /// The episode's presenters (`dcterms:creator` of `episode.xml`).
    public var presenters: [String]
    /// The series (`dcterms:isPartOf`), if the event is in one.
    public var series: String?

    public init(uid: String, title: String, start: Date, end: Date, properties: [String: String] = [:], presenters: [String] = [], series: String? = nil) {
        self.uid = uid
        self.title = title
        self.start = start
        self.end = end
        self.properties = properties
        self.presenters = presenters
        self.series = series
    }

    static let workflowConfigurationPrefix = "org.opencastproject.workflow.config."

    /// The workflow the scheduler chose for the event, if it names one.
    public var workflowDefinition: String? { properties["org.opencastproject.workflow.definition"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The workflow's configuration (the `org.opencastproject.workflow.config.` keys, prefix removed).
    public var workflowConfiguration: [String: String] {
        var configuration: [String: String] = [:]
        for (key, value) in properties where key.hasPrefix(Self.workflowConfigurationPrefix) {
            configuration[String(key.dropFirst(Self.workflowConfigurationPrefix.count))] = value
        }
        return configuration
    }

    /// The inputs chosen for the event (`capture.device.names`); nil: all of them.
    public var inputs: [String]? {
        properties["capture.device.names"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }
}

/// The agent's calendar as Opencast's scheduler writes it (`recordings/calendars?agentid=…`): an iCalendar
/// text read by the schedule's engine (so folded lines and escapes are RFC 5545's), one event per VEVENT, with
/// the base64 attachments `episode.xml` and `org.opencastproject.capture.agent.properties` decoded.
public struct OpencastCalendar: Sendable {
    public let events: [OpencastEvent]
    /// Events left out, each with why (named, never the whole calendar).
    public let skipped: [String]

    public init(parsing text: String) throws {
        let calendar = try ICalendar(parsing: text, defaultTimeZone: TimeZone(identifier: "UTC")!)
        let occurrences = calendar.occurrences(from: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 7_258_118_400))
        var seen = Set<String>()
        var events: [OpencastEvent] = []
        for occurrence in occurrences where !occurrence.cancelled && seen.insert(occurrence.uid).inserted {
            let properties = occurrence.attachments["org.opencastproject.capture.agent.properties"].map(Self.properties(of:)) ?? [:]
            let episode = occurrence.attachments["episode.xml"].map(DublinCore.init(xml:))
            let title = occurrence.summary.isEmpty ? (properties["event.title"] ?? episode?.values["title"]?.first ?? occurrence.uid) : occurrence.summary
            events.append(OpencastEvent(uid: occurrence.uid, title: title, start: occurrence.start, end: occurrence.end, properties: properties,
                                        presenters: episode?.values["creator"] ?? [], series: episode?.values["isPartOf"]?.first ?? properties["event.series"]))
        }
        self.events = events
        skipped = calendar.skipped.map(\.description)
    }

    /// Java properties as Opencast writes them for an event: `key=value` lines, split at the first `=`, in no
    /// particular order; blank and comment lines are ignored.
    static func properties(of data: Data) -> [String: String] {
        var result: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix("!"), let equals = trimmed.firstIndex(of: "=") else { continue }
            result[trimmed[..<equals].trimmingCharacters(in: .whitespaces)] = String(trimmed[trimmed.index(after: equals)...])
        }
        return result
    }
}
