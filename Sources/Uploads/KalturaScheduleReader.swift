import Foundation

/// Reads a room's classes from Kaltura's schedule, as Kaltura's lecture-capture devices do: the
/// `KalturaRecordScheduleEvent`s filed under the room's schedule resource (`schedule_scheduleevent.list` with
/// `resourceIdsLike`), single events and the instances of series (not the series templates), with the session of
/// the app token. Only `scheduleEvent.list` and `baseEntry.get` are called: what Kaltura's capture-device role
/// allows. See `docs/kaltura-schedule.md` for the requests and Kaltura's rules behind them.
public struct KalturaScheduleReader: Sendable {
    /// One class, as the schedule needs it.
    public struct Event: Equatable, Sendable {
        public var id: Int
        public var summary: String
        public var start: Date
        public var end: Date
        public var cancelled: Bool
        /// The entry whose owner, co-editors and categories the recording's entry takes.
        public var templateEntryId: String?
    }

    /// What the recording's entry takes from a template entry.
    public struct Template: Equatable, Sendable {
        public var owner: String?
    }

    private struct EventList: Decodable {
        struct Object: Decodable {
            var id: Int
            var summary: String?
            var startDate: Double?
            var endDate: Double?
            var status: Int?
            var templateEntryId: String?
        }
        var objects: [Object]
        var totalCount: Int?
    }

    private struct BaseEntry: Decodable { var userId: String? }

    private let client: KalturaClient
    private let session: KalturaSession
    /// Kaltura's pages hold at most 500 objects.
    static let pageSize = 500

    public init(client: KalturaClient, session: KalturaSession) {
        self.client = client
        self.session = session
    }

    /// The classes of `resourceId` that have not ended by `from` and start by `to`, cancelled instances included,
    /// earliest first. Kaltura has no overlap filter: "ends after `from`" and "starts before `to`" together are
    /// one (`docs/kaltura-schedule.md`).
    public func events(resourceId: String, from: Date, to: Date) async throws -> [Event] {
        var events: [Event] = []
        for page in 1... {
            let list = try await call("schedule_scheduleevent", "list", [
                ("filter:objectType", "KalturaRecordScheduleEventFilter"),
                ("filter:resourceIdsLike", resourceId),
                ("filter:recurrenceTypeIn", "0,2"),
                ("filter:statusIn", "1,2"),
                ("filter:endDateGreaterThanOrEqual", "\(Int(from.timeIntervalSince1970))"),
                ("filter:startDateLessThanOrEqual", "\(Int(to.timeIntervalSince1970))"),
                ("filter:orderBy", "+startDate"),
                ("pager:pageSize", "\(Self.pageSize)"), ("pager:pageIndex", "\(page)"),
            ], as: EventList.self)
            events += list.objects.compactMap { object in
                guard let start = object.startDate, let end = object.endDate else { return nil }
                return Event(id: object.id, summary: object.summary ?? "", start: Date(timeIntervalSince1970: start),
                             end: Date(timeIntervalSince1970: end), cancelled: object.status == 1,
                             templateEntryId: object.templateEntryId.flatMap { $0.isEmpty ? nil : $0 })
            }
            if list.objects.count < Self.pageSize { break }
        }
        return events
    }

    /// The owner a template entry gives its recordings.
    public func template(_ entryId: String) async throws -> Template {
        Template(owner: try await call("baseentry", "get", [("entryId", entryId)], as: BaseEntry.self).userId)
    }

    /// A call with the session's KS, once more with a new KS when Kaltura says the session is gone.
    private func call<Result: Decodable>(_ service: String, _ action: String, _ fields: [(String, String)], as type: Result.Type) async throws -> Result {
        let ks = try await session.ks()
        do {
            return try await client.call(service, action, ks: ks, fields, as: type)
        } catch let error as KalturaClient.APIError where error.isSessionError {
            await session.invalidate(ks)
            return try await client.call(service, action, ks: try await session.ks(), fields, as: type)
        }
    }
}
