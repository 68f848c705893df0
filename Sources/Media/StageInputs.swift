import Foundation
import RecorderCore
import Synchronization

/// The video sources on stage and their latest pictures: sources (a camera, a remote participant, a shared
/// screen) join, deliver frames from their own threads, and leave; the compositor takes, for each output
/// instant, the picture each source captured at or just before it. A source whose newest picture is older than
/// `staleAfter` (it stopped delivering, or never did) shows the slate until pictures come again.
public final class StageInputs: Sendable {
    private struct Slot {
        var source: StageLayout.Source
        /// The last few pictures, oldest first (a camera's frames may arrive a little after the instant they show).
        var pictures: [MediaFrame] = []
        /// When its first picture was captured: nothing of it is shown for an instant before that.
        var began: MonotonicInstant?
    }

    /// How long a source's last picture stays up before the slate replaces it.
    public let staleAfter: Double
    /// Pictures kept per source.
    private static let depth = 6
    private let slots = Mutex<[(id: String, slot: Slot)]>([])
    private let speaker = Mutex<String?>(nil)

    public init(staleAfter: Double = 2) { self.staleAfter = staleAfter }

    /// A source joins the stage, after those already on it; a source that is already on stage keeps its place.
    public func join(_ source: StageLayout.Source) {
        slots.withLock { slots in
            if !slots.contains(where: { $0.id == source.id }) { slots.append((source.id, Slot(source: source))) }
        }
    }

    /// A source leaves the stage; the layout changes at the next frame.
    public func leave(_ id: String) {
        slots.withLock { $0.removeAll { $0.id == id } }
    }

    /// The active speaker, for the speaker layout.
    public var activeSpeaker: String? {
        get { speaker.withLock { $0 } }
        set { speaker.withLock { $0 = newValue } }
    }

    /// A source delivers a picture (from any thread). Its size, if it changed, is the source's from now on.
    public func deliver(_ picture: MediaFrame, from id: String) {
        slots.withLock { slots in
            guard let index = slots.firstIndex(where: { $0.id == id }) else { return }
            slots[index].slot.source.width = picture.width
            slots[index].slot.source.height = picture.height
            if slots[index].slot.began == nil { slots[index].slot.began = picture.capturedAt }
            slots[index].slot.pictures.append(picture)
            if slots[index].slot.pictures.count > Self.depth { slots[index].slot.pictures.removeFirst() }
        }
    }

    /// Every source on stage with the picture to show at `instant`: the newest captured no later than half an
    /// output frame after it (or the oldest kept, if all are later, as when the output catches up), nil when that
    /// is older than `staleAfter` or when the source's first picture came after the instant (a source that starts
    /// with the recording shows the slate until it begins, never its first picture early, which would put the
    /// picture ahead of its sound).
    public func pictures(at instant: MonotonicInstant, frameInterval: Double) -> [(source: StageLayout.Source, picture: MediaFrame?)] {
        let latest = instant.advanced(by: frameInterval / 2)
        return slots.withLock { slots in
            slots.map { entry in
                let pictures = entry.slot.pictures
                guard let began = entry.slot.began, began <= latest else { return (entry.slot.source, nil) }
                let chosen = pictures.last { $0.capturedAt <= latest } ?? pictures.first
                let fresh = chosen.flatMap { instant.seconds(since: $0.capturedAt) <= staleAfter ? $0 : nil }
                return (entry.slot.source, fresh)
            }
        }
    }
}
