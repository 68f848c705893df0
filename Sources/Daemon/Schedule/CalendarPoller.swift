import ControlContract
import Foundation
import Logging
import RecorderCore

/// Polls the calendar feed of `[schedule] calendar_url` and hands each new copy to the schedule, starting from
/// the copy on disk, so a restart without network keeps the last known schedule. A failure is logged and
/// announced once per outage; the last good feed stays in force.
struct CalendarPoller: Sendable {
    let schedule: ScheduleService
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger

    func run() async {
        var feed: CalendarFeed?
        var calendar: ICalendar?
        var failing = false
        while !Task.isCancelled {
            let current = config.current
            guard let text = current.schedule.calendarURL, let url = URL(string: text) else {
                if calendar != nil { calendar = nil; await schedule.use(nil) }
                feed = nil
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            if feed?.url != url {
                let opened = CalendarFeed(url: url, stateDirectory: current.daemon.stateDirectory, timeZone: current.schedule.timetable.timeZone)
                feed = opened
                calendar = opened.cached()
                if calendar != nil { logger.info("calendar feed: using the copy on disk until the server answers", metadata: ["url": "\(text)"]) }
                await schedule.use(calendar)
            }
            guard let feed else { continue }
            let (fetched, outcome) = await feed.fetch()
            switch outcome {
            case .updated(let count):
                if failing { logger.notice("calendar feed reachable again", metadata: ["url": "\(text)"]) }
                failing = false
                if let fetched, fetched != calendar {
                    calendar = fetched
                    await schedule.use(fetched)
                    logger.notice("calendar feed updated", metadata: ["url": "\(text)", "events": "\(count)"])
                    events.publish(.config, message: "the calendar feed was updated (\(count) events)")
                }
            case .unchanged:
                failing = false
            case .failed(let reason):
                if !failing {
                    logger.warning("calendar feed could not be read; the last known schedule stays", metadata: ["url": "\(text)", "error": "\(reason)"])
                    events.publish(.warning, message: "the calendar feed could not be read (\(reason)); the last known schedule stays in force")
                }
                failing = true
            }
            try? await Task.sleep(for: .seconds(current.schedule.calendarPoll))
        }
    }
}
