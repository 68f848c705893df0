import Calendars
import ControlContract
import Foundation
import Logging
import RecorderCore

/// Polls the calendar feeds of `[schedule] calendar_urls` and hands each new copy to the schedule, starting from
/// the copy on disk, so a restart without network keeps the last known schedule. A failure is logged and
/// announced once per outage, and events a feed has that cannot be read once per copy; the last good feed stays
/// in force.
struct CalendarPoller: Sendable {
    let schedule: ScheduleService
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger

    /// What is known of one configured feed.
    private struct Feed {
        let fetcher: CalendarFeed
        let name: String
        var failing = false
    }

    func run() async {
        var feeds: [String: Feed] = [:]
        while !Task.isCancelled {
            let current = config.current
            let names = CalendarFeedSource.feedNames(current.schedule.calendarURLs)
            for (url, feed) in feeds where names[url] != feed.name {
                feeds[url] = nil
                await schedule.remove(source: CalendarFeedSource.name(feed.name))
            }
            for url in current.schedule.calendarURLs {
                guard let name = names[url], let address = URL(string: url) else { continue }
                if feeds[url] == nil {
                    let fetcher = CalendarFeed(url: address, stateDirectory: current.daemon.stateDirectory, timeZone: current.schedule.timetable.timeZone)
                    feeds[url] = Feed(fetcher: fetcher, name: name)
                    if let cached = fetcher.cached() {
                        logger.info("calendar feed: using the copy on disk until the server answers", metadata: ["feed": "\(name)"])
                        await schedule.use(source(name, cached))
                    }
                }
                await poll(&feeds[url]!, current)
            }
            await config.pause(current.schedule.calendarPoll)
        }
    }

    private func poll(_ feed: inout Feed, _ current: RoomRecorderConfig) async {
        let (fetched, outcome) = await feed.fetcher.fetch()
        let metadata: Logger.Metadata = ["feed": "\(feed.name)"]
        switch outcome {
        case .updated(let count, let skipped):
            if feed.failing { logger.notice("calendar feed reachable again", metadata: metadata) }
            feed.failing = false
            guard let fetched else { return }
            await schedule.use(source(feed.name, fetched))
            logger.notice("calendar feed updated", metadata: metadata.merging(["events": "\(count)", "skipped": "\(skipped)"]) { $1 })
            for event in fetched.skipped {
                logger.warning("calendar feed: an event is skipped", metadata: metadata.merging(["event": "\(event)"]) { $1 })
            }
            let skippedNote = skipped == 0 ? "" : "; \(skipped) that cannot be read are skipped: " + fetched.skipped.map(\.description).joined(separator: "; ")
            events.publish(skipped == 0 ? .config : .warning, message: "the calendar feed \(feed.name) was updated (\(count) events\(skippedNote))")
        case .unchanged:
            feed.failing = false
        case .failed(let reason):
            if !feed.failing {
                logger.warning("calendar feed could not be read; the last known schedule stays", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
                events.publish(.warning, message: "the calendar feed \(feed.name) could not be read (\(reason)); the last known schedule stays in force")
            }
            feed.failing = true
        }
    }

    private func source(_ name: String, _ calendar: ICalendar) -> CalendarFeedSource {
        CalendarFeedSource(feed: name, calendar: calendar)
    }
}
