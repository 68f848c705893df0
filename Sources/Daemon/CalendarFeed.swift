import Calendars
import DurableFiles
import Foundation
import Logging
import RecorderCore
import Networking

/// Fetches one iCalendar feed with conditional requests (`If-None-Match`, `If-Modified-Since`) and keeps the last
/// good copy on disk (`<state_dir>/calendar-<hash of the URL>.ics` and its validators beside it in `.json`), so a
/// network outage or a restart without network keeps the last known schedule. A text that is not a calendar is
/// logged and not cached: the last good one stays in force. Events it cannot read are skipped one by one
/// (``ICalendar/skipped``); the rest of the feed is used.
final class CalendarFeed: Sendable {
    /// What is kept beside the cached feed.
    struct Validators: Codable, Equatable {
        var url: String
        var etag: String?
        var lastModified: String?
    }

    /// The result of one look at the feed.
    enum Outcome: Equatable {
        /// A new feed was fetched, parsed and cached.
        case updated(events: Int, skipped: Int)
        /// The server said it has not changed (304).
        case unchanged
        /// The feed could not be fetched or parsed; the last good one stays.
        case failed(String)
    }

    let url: URL
    private let feedPath: String
    private let validatorsPath: String
    private let timeZone: TimeZone
    private let transport = HTTPTransport(timeout: 30)

    init(url: URL, stateDirectory: String, timeZone: TimeZone) {
        self.url = url
        let name = "calendar-\(Self.hash(url.absoluteString))"
        feedPath = "\(stateDirectory)/\(name).ics"
        validatorsPath = "\(stateDirectory)/\(name).json"
        self.timeZone = timeZone
    }

    /// The cached feed, if it was fetched from this URL.
    func cached() -> ICalendar? {
        guard let validators = storedValidators(), validators.url == url.absoluteString,
              let text = try? String(contentsOfFile: feedPath, encoding: .utf8) else { return nil }
        return try? ICalendar(parsing: text, defaultTimeZone: timeZone)
    }

    /// Asks the server for the feed; returns it when it changed, with what happened.
    func fetch() async -> (calendar: ICalendar?, outcome: Outcome) {
        var headers = ["Accept": "text/calendar"]
        if let validators = storedValidators(), validators.url == url.absoluteString, FileManager.default.fileExists(atPath: feedPath) {
            if let etag = validators.etag { headers["If-None-Match"] = etag }
            if let lastModified = validators.lastModified { headers["If-Modified-Since"] = lastModified }
        }
        let response: HTTPTransport.Response
        do {
            response = try await transport.send("GET", url: url, headers: headers)
        } catch {
            return (nil, .failed("\(error)"))
        }
        if response.status == 304 { return (nil, .unchanged) }
        guard response.status == 200 else { return (nil, .failed("HTTP \(response.status)")) }
        // A server that sends no validators answers 200 each time: the same text is no news.
        if storedValidators()?.url == url.absoluteString, FileManager.default.contents(atPath: feedPath) == Data(response.body) { return (nil, .unchanged) }
        let text = String(decoding: response.body, as: UTF8.self)
        let calendar: ICalendar
        do { calendar = try ICalendar(parsing: text, defaultTimeZone: timeZone) } catch {
            return (nil, .failed("the answer is not a calendar: \(error)"))
        }
        do {
            try store(Data(response.body), at: feedPath)
            let validators = Validators(url: url.absoluteString, etag: response.headers["etag"], lastModified: response.headers["last-modified"])
            try store(try JSONEncoder().encode(validators), at: validatorsPath)
        } catch {
            return (calendar, .failed("fetched, but the copy on disk could not be written: \(error)"))
        }
        return (calendar, .updated(events: calendar.eventCount, skipped: calendar.skipped.count))
    }

    /// FNV-1a of the URL, in hex: a stable file name that keeps a private feed's secret out of directory listings.
    static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    private func storedValidators() -> Validators? {
        guard let data = FileManager.default.contents(atPath: validatorsPath) else { return nil }
        return try? JSONDecoder().decode(Validators.self, from: data)
    }

    /// Writes through a temporary name, fsync and rename, so a crash leaves the old copy or the new one.
    private func store(_ data: Data, at path: String) throws { try FileSync.writeAtomically(data, to: path) }
}
