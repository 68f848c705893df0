import Catalog
import ControlContract
import Foundation
import Logging
import RecorderCore

/// What the schedule needs of the recording in progress: the narrow interface it declares, which
/// ``RecordingController`` implements.
protocol ScheduleRecorder: Sendable {
    /// The recording in progress, if any: its id, whether it records (not stopping), and the block it follows.
    func scheduleView() async -> ScheduleService.RecorderView?
    func start(_ request: StartRecordingRequest, initiator: String, block: SchedulePlanner.Block?) async throws(ControlError) -> Recording
    func stop(id: String?, because intent: RecordingSupervisor.StopIntent) async throws(ControlError) -> Recording
    /// The block follows the recording in progress (it adopts a recording asked for by hand).
    func follow(_ block: SchedulePlanner.Block) async
}

/// Everything that should be recorded, turned into start and stop intents with initiator `schedule`: ad-hoc
/// bookings from the socket (in the catalog) and the events of the schedule's sources (the `[schedule]`
/// timetable, calendar feeds, Kaltura's schedule), merged into blocks by ``SchedulePlanner``. Looked at four
/// times a second (and at once after a change), so a booked recording starts and stops within a second of its
/// times.
actor ScheduleService {
    struct RecorderView: Sendable {
        var recordingID: String
        var isRecording: Bool
        var block: SchedulePlanner.Block?
    }

    let catalog: CatalogDatabase
    let recorder: any ScheduleRecorder
    let config: LiveConfiguration
    let events: EventHub
    let logger: Logger
    let board: StatusBoard
    private(set) var planner = SchedulePlanner(events: [])
    /// When the planner's events were last read.
    private var bookingsReadAt = MonotonicInstant.now()
    /// The last good copy of each polled source (calendar feeds, Kaltura), by name.
    private var sources: [String: any ScheduleSource] = [:]
    /// The bookings of a block whose recording a person or the session's rules stopped: not started again.
    private(set) var dismissed: Set<String> = []
    /// When the schedule last failed to start a recording, so it retries after a pause rather than at once.
    private var lastStartFailure: Date?
    /// A look in progress, and whether another was asked meanwhile (looks do not overlap).
    private var looking = false
    /// The next recording as last put on the status board.
    private var shownNext: NextRecording?
    /// A read of the bookings in progress, and the reads waiting for it (``reloadBookings()``).
    private var reloading = false
    private var waitingReloads: [CheckedContinuation<Void, Never>] = []
    private var lookAgain = false

    init(catalog: CatalogDatabase, recorder: any ScheduleRecorder, config: LiveConfiguration, board: StatusBoard, events: EventHub, logger: Logger) {
        self.board = board
        self.catalog = catalog
        self.recorder = recorder
        self.config = config
        self.events = events
        self.logger = logger
    }

    /// Looks at the schedule until the task is cancelled. The timetable's classes are read again every hour, so
    /// the eight days ahead keep moving.
    func run() async {
        await reloadBookings()
        while !Task.isCancelled {
            if MonotonicInstant.now().seconds(since: bookingsReadAt) > 3600 { await reloadBookings() }
            await look(now: Date())
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    func dismiss(_ bookingIDs: [String]) { dismissed.formUnion(bookingIDs) }
    func startFailed(at date: Date = Date()) { lastStartFailure = date }

    /// A new copy of a polled source.
    func use(_ source: any ScheduleSource) async {
        sources[source.name] = source
        await reloadBookings()
        await look(now: Date())
    }

    /// A source that is not configured any more.
    func remove(source name: String) async {
        guard sources.removeValue(forKey: name) != nil else { return }
        await reloadBookings()
        await look(now: Date())
    }

    /// The timetable or the calendar settings changed.
    func configurationChanged() async { await reloadBookings() }

    /// Brings the recording in line with the bookings at `now`: starts the block that should be recording,
    /// adopts a recording asked for by hand that a block starts during, and stops a block's recording when it
    /// ends. A recording asked for by hand outside any block is left alone.
    func look(now: Date) async {
        if looking { lookAgain = true; return }
        looking = true
        defer { looking = false }
        repeat {
            lookAgain = false
            await decide(now: now)
        } while lookAgain
    }

    private func decide(now: Date) async {
        showNext(after: now)
        let block = activeBlock(at: now)
        if let current = await recorder.scheduleView() {
            guard current.isRecording else { return }
            if let block, current.block.map({ $0.isSame(as: block) }) ?? true {
                await recorder.follow(block)
            } else if current.block != nil {
                logger.notice("the booked time is over; stopping", metadata: ["recording": "\(current.recordingID)"])
                _ = try? await recorder.stop(id: current.recordingID, because: .schedule)
            }
            return
        }
        guard let block else { return }
        if let failed = lastStartFailure, now.timeIntervalSince(failed) < 10 { return }
        do {
            let recording = try await recorder.start(StartRecordingRequest(title: block.title), initiator: "schedule", block: block)
            logger.notice("booked recording started", metadata: ["recording": "\(recording.recordingId)", "bookings": "\(block.eventIDs)"])
            lastStartFailure = nil
        } catch {
            lastStartFailure = now
            events.publish(.warning, message: "the booked recording \"\(block.title)\" could not start: \(error.problem.detail)")
            logger.error("a booked recording could not start", metadata: ["title": "\(block.title)", "error": "\(error.problem.detail)"])
        }
    }

    /// The block that should be recording at `now`. A block stopped by a person stays stopped, and adopts no
    /// recording asked for by hand, but an event that joins it later (a booking made after the stop) is recorded
    /// when its time comes: what counts are the events under way now.
    private func activeBlock(at now: Date) -> SchedulePlanner.Block? {
        let underWay = Set(planner.events(at: now).map(\.id))
        return underWay.isSubset(of: dismissed) ? nil : planner.block(at: now)
    }

    /// Whether the schedule records `eventID` now, or would start it: its block is under way and no person
    /// stopped it.
    func wantsRecorded(eventID: String, at now: Date = Date()) -> Bool {
        activeBlock(at: now)?.eventIDs.contains(eventID) ?? false
    }

    /// The block that should be recording now: its start and title, for the alarm of a scheduled recording that
    /// did not start.
    func due(at now: Date = Date()) -> (start: Date, title: String)? {
        activeBlock(at: now).map { ($0.start, $0.title) }
    }

    /// Puts the next block that will start on the status board (`roomrecctl status`, the metric).
    private func showNext(after now: Date) {
        let next = planner.blocks.first { $0.start > now && !Set($0.eventIDs).isSubset(of: dismissed) }
        let shown = next.map { block in
            NextRecording(title: block.title, start: block.start, end: block.end,
                          source: planner.events.first { $0.id == block.leadID }?.source ?? "schedule")
        }
        // The schedule is the board's only writer of `next`: its last value is known here, without a copy of the board.
        guard shown != shownNext else { return }
        shownNext = shown
        board.update { $0.next = shown }
    }

    // MARK: Bookings

    /// Bookings that have not ended, and the sources' events of the next seven days, earliest first.
    func upcoming() async throws(ControlError) -> [Booking] {
        let now = Date()
        let booked: [Booking]
        do { booked = try await catalog.bookings(endingAfter: now) } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        let planned = plannedEvents(from: now, to: now.addingTimeInterval(7 * 86400)).filter { !$0.cancelled }.map {
            Booking(bookingId: $0.id, title: $0.title, start: $0.start, end: $0.end, createdBy: $0.source, createdAt: $0.createdAt)
        }
        return (booked + planned).sorted { $0.start < $1.start }
    }

    /// The events of the timetable and the polled sources that overlap `from ..< to`.
    func plannedEvents(from: Date, to: Date) -> [PlannedEvent] {
        ([config.current.schedule.timetable] + Array(sources.values)).flatMap { $0.events(from: from, to: to) }
    }

    func add(_ request: BookingRequest, by caller: Caller) async throws(ControlError) -> Booking {
        let booking: Booking
        do {
            booking = try request.booking(now: Date(), defaultTitle: config.current.room.title, createdBy: UserNames.name(ofUID: caller.uid))
        } catch { throw ControlError(error) }
        do { try await catalog.insert(booking) } catch { throw .unavailable("the catalog cannot store the booking: \(error)") }
        await reloadBookings()
        logger.notice("booking added", metadata: ["booking": "\(booking.bookingId)", "title": "\(booking.title)", "start": "\(booking.start)",
                                                  "end": "\(booking.end)", "by": "\(caller)"])
        await look(now: Date())
        return booking
    }

    func remove(id: String, by caller: Caller) async throws(ControlError) {
        if id.hasPrefix(Timetable.eventPrefix) {
            throw .conflict("\(id) is a class of the timetable in the configuration; add its date to [schedule] exceptions, or stop its recording")
        }
        if let event = plannedEvents(from: Date(), to: Date().addingTimeInterval(8 * 86400)).first(where: { $0.id == id }) {
            throw .conflict("\(id) comes from \(event.source); cancel it there, or stop its recording")
        }
        let removed: Bool
        do { removed = try await catalog.deleteBooking(id: id) } catch { throw .unavailable("the catalog cannot delete the booking: \(error)") }
        guard removed else { throw .notFound("no booking \(id)") }
        await reloadBookings()
        logger.notice("booking removed", metadata: ["booking": "\(id)", "by": "\(caller)"])
        await look(now: Date())
    }

    /// Reads the bookings again, with the sources' events from a day ago to eight days ahead. Reads run one at a
    /// time, in the order asked: the actor lets another call in while the catalog is read, and a read that started
    /// earlier must not finish last with what it saw before (an extension just stored, lost).
    func reloadBookings() async {
        if reloading {
            await withCheckedContinuation { waitingReloads.append($0) }
        } else {
            reloading = true
        }
        defer {
            if waitingReloads.isEmpty { reloading = false } else { waitingReloads.removeFirst().resume() }
        }
        let now = Date()
        do {
            let booked = try await catalog.bookings(endingAfter: now).map(\.plannedEvent)
            let planned = plannedEvents(from: now.addingTimeInterval(-86400), to: now.addingTimeInterval(8 * 86400))
            planner = SchedulePlanner(events: booked + planned, rule: config.current.schedule.overlap)
            bookingsReadAt = MonotonicInstant.now()
        } catch {
            logger.error("cannot read the bookings", metadata: ["error": "\(error)"])
        }
    }
}
