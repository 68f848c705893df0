import Foundation
import RecorderCore

/// Where the ingest of one media package stands: an Opencast event (all the parts it was recorded in) or one
/// unscheduled recording. Stored after every step, so a restart or a failure repeats only the step that did not
/// finish.
public struct IngestProgress: Codable, Equatable, Sendable {
    /// The event's UID, or `recording:<id>` for an unscheduled recording.
    public var key: String
    /// The event, for its workflow; nil for an unscheduled recording.
    public var event: OpencastEvent?
    /// The package as Opencast last answered it.
    public var mediaPackage: MediaPackage?
    /// The ingest node the package was made on; its later calls go there too (Opencast keeps partial tracks'
    /// start times in that node's memory).
    public var ingestEndpoint: String?
    /// The track each part's file became, by recording id.
    public var tracks: [String: String] = [:]
    /// The episode catalog an unscheduled recording carries was added.
    public var catalogAdded = false
    /// An ingest was sent; if its answer was lost, Opencast is asked whether the package arrived before another.
    public var ingestSent = false
    /// The workflow the ingest started: the package arrived.
    public var workflow: WorkflowInstance?
    /// The agent put this event into Opencast's schedule for an ad-hoc recording: the event is the recording's,
    /// never one for the schedule to start or stop.
    public var scheduledByAgent = false

    public init(key: String, event: OpencastEvent? = nil) {
        self.key = key
        self.event = event
    }

    public static func key(for recording: Recording) -> String { recording.opencastEventId ?? "recording:\(recording.recordingId)" }
}

/// What the Opencast target keeps and asks of the daemon: the ingest progress in the catalog, and the parts an
/// event was recorded in.
public protocol OpencastIngestStore: Sendable {
    func progress(_ key: String) async throws -> IngestProgress?
    func store(_ progress: IngestProgress) async throws
    /// The recordings of an event, earliest first, and whether it is over (none records it, and the schedule
    /// will not start another part).
    func parts(ofEvent uid: String) async throws -> (parts: [Recording], over: Bool)
    /// The event as the agent's calendar has it, for a package whose progress does not hold it yet.
    func event(_ uid: String) async -> OpencastEvent?
    /// Runs `body` while no other caller runs one for the same package.
    func exclusive<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T
}
