import Foundation

extension RoomRecorderConfig {
    /// `[schedule]`: what is recorded without anyone asking: the class timetable, calendar feeds and Kaltura's
    /// schedule, and how they are combined.
    public struct Schedule: Equatable, Sendable {
        /// No classes; a minute of pre-roll and two of post-roll for those a configuration adds.
        public var timetable = Timetable(preRollMinutes: 1, postRollMinutes: 2)
        /// iCalendar feeds of this room's recordings (`calendar_urls`, or one `calendar_url`), each polled every
        /// `calendarPoll`.
        public var calendarURLs: [String] = []
        /// Seconds between two polls of a calendar feed or Kaltura's schedule.
        public var calendarPoll: TimeInterval = 300
        /// What overlapping scheduled events become (`overlap`).
        public var overlap = SchedulePlanner.OverlapRule.merge
        /// `[schedule.kaltura]`: the room's schedule resource in Kaltura, whose events are recorded.
        public var kalturaResourceID: String?
    }
}

extension RoomRecorderConfig.Schedule {
    /// Reads `[schedule]` with its `[[schedule.class]]` tables; a key left out keeps its default.
    init(reading schedule: ConfigReader) throws(ConfigError) {
        self.init()
        if let zone = try schedule.string("time_zone") {
            guard let timeZone = TimeZone(identifier: zone) else {
                throw schedule.error("time_zone", "expected an IANA time zone such as \"Europe/Berlin\", got \"\(zone)\"")
            }
            timetable.timeZone = timeZone
        }
        timetable.termStart = try schedule.day("term_start")
        timetable.termEnd = try schedule.day("term_end")
        if let start = timetable.termStart, let end = timetable.termEnd, end < start {
            throw schedule.error("term_end", "the term ends (\(end)) before it starts (\(start))")
        }
        timetable.exceptions = Set(try schedule.days("exceptions"))
        timetable.preRollMinutes = try schedule.integer("pre_roll_minutes", default: timetable.preRollMinutes, range: 0...60)
        timetable.postRollMinutes = try schedule.integer("post_roll_minutes", default: timetable.postRollMinutes, range: 0...120)
        for slot in try schedule.tables("class") {
            timetable.slots.append(try Self.slot(reading: slot))
        }
        for key in ["calendar_url", "calendar_urls"] {
            let urls = key == "calendar_url" ? try schedule.string(key).map { [$0] } ?? [] : try schedule.strings(key) ?? []
            for url in urls {
                guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil else {
                    throw schedule.error(key, "expected a feed's http:// or https:// URL, got \"\(url)\"")
                }
                if !calendarURLs.contains(url) { calendarURLs.append(url) }
            }
        }
        calendarPoll = TimeInterval(try schedule.integer("calendar_poll_seconds", default: Int(calendarPoll), range: 1...86400))
        overlap = try schedule.choice("overlap", default: overlap)
        let kaltura = try schedule.section("kaltura")
        if !kaltura.table.keys.isEmpty {
            guard let resource = try kaltura.string("resource_id"), !resource.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw kaltura.error("resource_id", "expected the id of the room's schedule resource in Kaltura (a location or camera resource)")
            }
            kalturaResourceID = resource
            try kaltura.rejectUnknownKeys()
        }
        try schedule.rejectUnknownKeys()
    }

    /// One `[[schedule.class]]`: its title, days, start and end.
    private static func slot(reading slot: ConfigReader) throws(ConfigError) -> Timetable.Slot {
        guard let title = try slot.string("title"), !title.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw slot.error("title", "a class needs a title (its recordings are named after it)")
        }
        var weekdays: Set<Int> = []
        for name in try slot.strings("days") ?? [] {
            guard let day = Timetable.weekdayNames[name.lowercased()] else {
                throw slot.error("days", "expected days as \"mon\" … \"sun\", got \"\(name)\"")
            }
            weekdays.insert(day)
        }
        guard !weekdays.isEmpty else { throw slot.error("days", "a class needs the days it takes place on, e.g. days = [\"mon\", \"wed\"]") }
        guard let startText = try slot.string("start"), let start = WallClock.minutes(startText) else {
            throw slot.error("start", "expected the start as \"HH:MM\"")
        }
        guard let endText = try slot.string("end"), let end = WallClock.minutes(endText), end > start else {
            throw slot.error("end", "expected the end as \"HH:MM\", after the start")
        }
        try slot.rejectUnknownKeys()
        return Timetable.Slot(title: title, weekdays: weekdays, start: start, end: end)
    }
}
