import ControlContract
import DurableFiles
import Foundation
import Logging
import Opencast
import RecorderCore

/// The agent's Opencast calendar as a schedule source. Each event is its own recording (``SchedulePlanner``), at
/// the event's own times. An event already recorded to its end (`complete`: stopped by a person or by the
/// schedule) is not started again after a restart; one whose recording was cut (a crash, a lost camera) is
/// recorded on, as another part of the same episode.
struct OpencastScheduleSource: ScheduleSource {
    static let sourceName = "opencast"
    var name: String { Self.sourceName }
    let events: [OpencastEvent]
    /// Events whose recording is complete.
    let finished: Set<String>

    static func plannedID(_ uid: String) -> String { "opencast-\(uid)" }

    func events(from: Date, to: Date) -> [PlannedEvent] {
        events.filter { $0.end > from && $0.start < to && !finished.contains($0.uid) }.map { event in
            PlannedEvent(id: Self.plannedID(event.uid), title: event.title, start: event.start, end: event.end, origin: .opencast(eventID: event.uid))
        }
    }
}

/// Reads the agent's calendar (`<scheduler>/calendars?agentid=…&cutoff=…`) every `calendar_poll_seconds`, with
/// the last ETag in `If-None-Match` (echoed exactly as Opencast sent it, unquoted), and hands each copy to the
/// agent, which hands it to the schedule. The last good calendar is kept in `<state_dir>/opencast-calendar.ics` (with its
/// ETag beside it), so a restart while Opencast is unreachable records from it.
struct OpencastCalendarPoller: Sendable {
    let agent: OpencastAgent
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger

    /// The calendar on disk and what it belongs to.
    struct Copy: Codable, Equatable {
        var server: String
        var agent: String
        var etag: String?
        var text: String

        static func path(in stateDirectory: String) -> String { "\(stateDirectory)/opencast-calendar.json" }

        static func read(from stateDirectory: String) -> Copy? {
            FileManager.default.contents(atPath: path(in: stateDirectory)).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
        }

        /// Through a temporary name, fsync and rename: a crash leaves the old copy or the new one.
        func store(in stateDirectory: String) throws { try FileSync.writeAtomically(try JSONEncoder().encode(self), to: Self.path(in: stateDirectory)) }
    }

    func run() async {
        var copy: Copy?
        /// The events of `copy`, as read when it was kept.
        var known: [OpencastEvent]?
        var failing = false
        var reads = 0
        while !Task.isCancelled {
            let current = config.current
            guard let link = await agent.currentLink() else {
                if copy != nil { copy = nil; known = nil; await agent.calendarDropped() }
                await config.pause(5)
                continue
            }
            if copy?.server != link.settings.url || copy?.agent != link.agent {
                copy = nil
                known = nil
                if let kept = Copy.read(from: current.daemon.stateDirectory), kept.server == link.settings.url, kept.agent == link.agent,
                   let calendar = try? OpencastCalendar(parsing: kept.text) {
                    copy = kept
                    known = calendar.events
                    await agent.calendarRead(events: calendar.events, .fromDisk)
                    logger.info("Opencast calendar: using the copy on disk until Opencast answers", metadata: ["events": "\(calendar.events.count)"])
                }
            }
            do {
                // The ETag does not change when time brings an event into the cutoff window: every tenth read asks in full.
                let etag = reads % 10 == 0 ? nil : copy?.etag
                reads += 1
                let answer = try await read(link, etag: etag)
                if failing { logger.notice("Opencast calendar reachable again") }
                failing = false
                if let (text, newTag) = answer {
                    let calendar = try OpencastCalendar(parsing: text)
                    for skipped in calendar.skipped { logger.warning("Opencast calendar: an event is left out", metadata: ["event": "\(skipped)"]) }
                    let fresh = Copy(server: link.settings.url, agent: link.agent, etag: newTag, text: text)
                    // DTSTAMP is the time of the request: the events, not the text, say whether anything changed.
                    let changed = known != calendar.events
                    copy = fresh
                    known = calendar.events
                    do { try fresh.store(in: current.daemon.stateDirectory) } catch {
                        logger.warning("Opencast calendar could not be kept on disk", metadata: ["error": "\(error)"])
                    }
                    await agent.calendarRead(events: calendar.events, changed ? .changed : .unchanged)
                    if changed {
                        logger.notice("Opencast calendar updated", metadata: ["events": "\(calendar.events.count)", "etag": "\(newTag ?? "")"])
                        events.publish(.config, message: "Opencast's calendar for agent \(link.agent) was updated (\(calendar.events.count) events)")
                    }
                } else {
                    await agent.calendarRead(events: nil, .notModified)
                }
            } catch {
                await agent.calendarFailed(error)
                if !failing {
                    logger.warning("Opencast calendar could not be read; the last known calendar stays", metadata: ["error": "\(error)"])
                    events.publish(.warning, message: "Opencast's calendar could not be read (\(error)); the last known calendar stays in force")
                }
                failing = true
            }
            await config.pause(link.settings.calendarPollSeconds)
        }
    }

    /// The calendar's text and ETag, or nil when it did not change (304).
    private func read(_ link: OpencastAgent.Link, etag: String?) async throws -> (String, String?)? {
        let scheduler = try await link.services.endpoint(.scheduler)
        let cutoff = Int64(Date().addingTimeInterval(Double(link.settings.lookaheadDays) * 86400).timeIntervalSince1970 * 1000)
        let url = OpencastClient.url(OpencastClient.url(scheduler, appending: ["calendars"]), query: [("agentid", link.agent), ("cutoff", "\(cutoff)")])
        var headers = ["Accept": "text/calendar"]
        if let etag { headers["If-None-Match"] = etag }
        let answer = try link.client.require(try await link.client.send("GET", url, headers: headers), [200, 304], doing: "give the agent's calendar", url: url)
        if answer.status == 304 { return nil }
        return (String(decoding: answer.body, as: UTF8.self), answer.headers["etag"])
    }
}
