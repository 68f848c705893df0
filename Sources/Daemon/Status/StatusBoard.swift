import Capture
import Catalog
import ControlContract
import DurableFiles
import RecorderCore
import Synchronization
import Uploads

/// What `GET /v1/status` shows, kept current by its owners as things change (the recording controller, the
/// encoder plan, the online room) and by ``run()`` for what the catalog and the kernel know (the queue's counts,
/// the attached devices), so a status request reads it under one lock, without waiting for an actor or the
/// database: the control socket answers in a millisecond while a 1080p encode keeps both cores busy.
final class StatusBoard: Sendable {
    struct Contents: Sendable {
        var current: Recording?
        var pipeline: RecordingPipeline?
        var encoder = EncoderPlan.untried
        var queueCounts: [UploadState: Int] = [:]
        /// Why uploads wait, if they do (paused, a hold, outside the upload windows), as the queue last said.
        var uploadsHeld: String?
        /// The cameras and microphones attached, as last listed.
        var attached: [DeviceInfo] = []
        /// The online room as its coordinator last reported it (the figures that change every second are read
        /// when status is asked).
        var session: SessionStatus?
        /// The next recording the schedule will start, as it last planned.
        var next: NextRecording?
        /// The free space where recordings are written, as last measured (not measured on the control socket's
        /// event loop: a hung mount must not stall it).
        var disk: DiskSummary?
        /// The Opencast capture agent as it last reported.
        var opencast: OpencastStatus?
    }

    private let contents = Mutex(Contents())
    /// Where recordings are written now.
    private let recordingsFolder: @Sendable () -> String

    init(recordingsFolder: @escaping @Sendable () -> String) { self.recordingsFolder = recordingsFolder }

    var snapshot: Contents { contents.withLock { $0 } }

    func update(_ change: (inout Contents) -> Void) { contents.withLock { change(&$0) } }

    /// Keeps the queue's counts and the device list current until cancelled: at once, after every recording,
    /// upload or device event, and every few seconds (the device list every five: probing every /dev/video*
    /// node costs milliseconds).
    func run(catalog: CatalogDatabase, uploads: UploadQueue, events: EventHub) async {
        let changes = events.subscribe()
        await refresh(catalog: catalog, uploads: uploads, devices: true)
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                var ticks = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    ticks += 1
                    await refresh(catalog: catalog, uploads: uploads, devices: ticks % 5 == 0)
                }
            }
            for await event in changes {
                switch event.type {
                case .recording, .upload, .config: await refresh(catalog: catalog, uploads: uploads, devices: false)
                case .device: await refresh(catalog: catalog, uploads: uploads, devices: true)
                default: break
                }
            }
        }
    }

    /// Shows at once why uploads wait, after a hold, a release, a pause or a resume.
    func showWhyUploadsWait(_ uploads: UploadQueue) async {
        let held = await uploads.closedReason()
        update { $0.uploadsHeld = held }
    }

    /// Reads the queue's counts and why it waits (and the attached devices) now.
    func refresh(catalog: CatalogDatabase, uploads: UploadQueue, devices: Bool) async {
        if let counts = try? await catalog.queueCounts() { update { $0.queueCounts = counts } }
        await showWhyUploadsWait(uploads)
        let disk = DiskSpace.of(recordingsFolder())
        update { $0.disk = disk }
        if devices {
            let attached = (try? await BlockingIO.run { DeviceInventory.cameras() + DeviceInventory.microphones() }) ?? []
            update { $0.attached = attached }
        }
    }
}
