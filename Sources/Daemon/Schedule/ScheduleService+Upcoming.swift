import ControlContract
import Foundation
import RecorderCore

extension ScheduleService {
    /// Every planned recording in `window` and whether it will be recorded, earliest first: the answer to "what
    /// will this room record?".
    func upcoming(in window: UpcomingWindow) async throws(ControlError) -> [UpcomingRecording] {
        let booked: [Booking]
        let delivered: Int64
        do {
            booked = try await catalog.bookings(endingAfter: window.from)
            delivered = try await catalog.localFiles().filter { $0.confirmedAt != nil }.reduce(0) { $0 + ($1.recording.size ?? 0) }
        } catch { throw .unavailable("the catalog cannot be read: \(error)") }
        // The planner sees a day around the window, so a block reaching into it has its real start and title.
        let events = booked.map(\.plannedEvent) + plannedEvents(from: window.from.addingTimeInterval(-86400), to: window.to.addingTimeInterval(86400))
        let plan = SchedulePlanner(events: events, rule: config.current.schedule.overlap)
        let space = spaceShortage(removable: delivered)
        return events.filter { $0.end > window.from && $0.start < window.to }
            .sorted { ($0.start, $0.title) < ($1.start, $1.title) }
            .map { event in
                var entry = UpcomingRecording(start: event.start, end: event.end, title: event.title, source: event.source, willRecord: false)
                if event.cancelled {
                    entry.reason = "cancelled in \(event.source)"
                } else if dismissed.contains(event.id) {
                    entry.reason = "stopped by a person; not started again"
                } else if let block = plan.block(of: event.id), block.leadID != event.id {
                    entry.reason = "recorded as part of \"\(block.title)\" (\(ISO8601.string(block.start)) to \(ISO8601.string(block.end)))"
                } else if let space {
                    entry.reason = space
                } else {
                    entry.willRecord = true
                }
                return entry
            }
    }

    /// Why a recording cannot start for lack of space, even after the delivered local copies (`removable` bytes)
    /// are removed; nil when it can.
    private func spaceShortage(removable: Int64) -> String? {
        let recording = config.current.recording
        guard let disk = DiskSpace.of(recording.outputDirectory), disk.freeBytes + removable < recording.minimumFreeBytes else { return nil }
        return "only \(disk.freeBytes >> 20) MiB are free in \(recording.outputDirectory) (\(removable >> 20) MiB more once delivered copies "
            + "are removed), below [recording] min_free_mb = \(recording.minimumFreeBytes >> 20)"
    }

    /// Moves the end of the scheduled recording in progress by `minutes` (5, 10 or 15): a booking that continues
    /// its block, kept in the catalog so a restart keeps it.
    func extend(by request: ExtendRequest, caller: Caller) async throws(ControlError) -> RecordingExtension {
        guard ExtendRequest.allowed.contains(request.minutes) else {
            throw .badRequest("\"minutes\" must be 5, 10 or 15, got \(request.minutes)")
        }
        guard let current = await recorder.scheduleView(), current.isRecording else { throw .conflict("no recording is in progress") }
        guard let block = current.block else {
            throw .conflict("recording \(current.recordingID) was started by hand and has no scheduled end; stop it when it is done")
        }
        let extensionID = "extend-\(UUID().uuidString.lowercased())"
        let booking = Booking(bookingId: extensionID, title: block.title, start: block.end, end: block.end.addingTimeInterval(TimeInterval(request.minutes * 60)),
                              createdBy: UserNames.name(ofUID: caller.uid), createdAt: Date())
        do { try await catalog.insert(booking) } catch { throw .unavailable("the catalog cannot store the extension: \(error)") }
        await reloadBookings()
        guard let extended = planner.block(of: extensionID), extended.isSame(as: block) else {
            let next = planner.block(of: extensionID)?.title ?? "another recording"
            _ = try? await catalog.deleteBooking(id: extensionID)
            await reloadBookings()
            throw .conflict("\"\(next)\" starts when this recording ends ([schedule] overlap = \"split\"); it cannot be extended")
        }
        await recorder.follow(extended)
        logger.notice("recording extended", metadata: ["recording": "\(current.recordingID)", "minutes": "\(request.minutes)",
                                                       "end": "\(ISO8601.string(extended.end))", "by": "\(caller)"])
        events.publish(.recording, message: "\"\(block.title)\" was extended by \(request.minutes) minutes, to \(ISO8601.string(extended.end))")
        return RecordingExtension(recordingId: current.recordingID, title: extended.title, end: extended.end)
    }
}
