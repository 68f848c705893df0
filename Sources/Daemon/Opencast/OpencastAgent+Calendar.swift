import Foundation
import Opencast
import RecorderCore

/// The agent's calendar: what the poller read, handed to the schedule without the events it must not start, and
/// each recorded event kept with its package so its ingest outlives the calendar's listing of it.
extension OpencastAgent {
    /// How a read of the calendar went.
    enum CalendarRead: Sendable {
        /// Answered 304 to the ETag.
        case notModified
        /// A calendar whose events differ from the last one's, or the same events read in full.
        case changed, unchanged
        /// The copy on disk, at start.
        case fromDisk
    }

    func calendarRead(events: [OpencastEvent]?, _ read: CalendarRead) async {
        if read != .fromDisk { status?.lastCalendarFetch = Date() }
        if read == .notModified { status?.etagHits += 1 }
        if read == .changed { status?.calendarChanges += 1 }
        if let events {
            calendar = Dictionary(events.map { ($0.uid, $0) }, uniquingKeysWith: { $1 })
            status?.calendarEvents = calendar.count
            await publishSchedule()
        }
        calendarSettled = true
        publish()
    }

    func calendarFailed(_ error: Error) {
        status?.calendarFailures += 1
        failed("calendar", "the calendar could not be read: \(error)")
        // Without a copy on disk and without Opencast, no event is known: the ingest need not wait for one.
        calendarSettled = true
    }

    /// The calendar is not in force any more (`[opencast]` removed).
    func calendarDropped() async {
        calendar = [:]
        await schedule.remove(source: OpencastScheduleSource.sourceName)
    }

    /// Hands the schedule the calendar without the events it must not start: those already recorded to
    /// completion (a running event stays in Opencast's calendar, and must not be started again after a person
    /// stopped it or after a restart) and those the agent scheduled for its own ad-hoc recordings.
    func publishSchedule() async {
        publishing += 1
        let mine = publishing
        let now = Date()
        var finished = Set<String>()
        for event in calendar.values where event.start <= now.addingTimeInterval(86400) {
            if completed.contains(event.uid) { finished.insert(event.uid); continue }
            if (try? await ingestRecords.progress(event.uid))?.scheduledByAgent == true { finished.insert(event.uid); continue }
            guard event.start <= now else { continue }
            let parts = (try? await catalog.recordings(opencastEventId: event.uid)) ?? []
            if parts.contains(where: { $0.status == .complete }) { finished.insert(event.uid) }
        }
        // A newer calendar or completion started its own publication meanwhile: that one is in force.
        guard mine == publishing else { return }
        await schedule.use(OpencastScheduleSource(events: calendar.values.sorted { $0.start < $1.start }, finished: finished.union(completed)))
    }

    /// Keeps the event with its package's progress when its recording starts, so its ingest is bound to it and
    /// uses its workflow even after the calendar stops listing it (an hour after its end).
    func keepEvent(_ uid: String) async {
        guard let event = calendar[uid] else { return }
        do {
            try await ingestRecords.exclusive(uid) { [ingestRecords] in
                var progress = try await ingestRecords.progress(uid) ?? IngestProgress(key: uid)
                guard progress.event == nil else { return }
                progress.event = event
                try await ingestRecords.store(progress)
            }
        } catch {
            logger.warning("Opencast: the event of the recording could not be kept in the catalog", metadata: ["event": "\(uid)", "error": "\(error)"])
        }
    }
}
