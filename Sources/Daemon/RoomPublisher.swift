import Foundation
import Logging
import Media
import RecorderCore
import Synchronization

/// The room's camera and microphone encoded for the online session (``RoomMediaSource``), from the same
/// ``RoomSources`` the recording takes them from: capture runs once, and the session gets its own encodes, a
/// picture fitting the configured size (1280×720) as constrained-baseline H.264 and the sound as Opus, separate
/// from the recording's 1080p encode.
final class RoomPublisher: RoomMediaSource {
    private let sources: RoomSources
    private let settings: RoomRecorderConfig.Session
    private let logger: Logger
    /// The feed running now (one per session connection).
    private let current = Mutex<Feed?>(nil)

    init(sources: RoomSources, settings: RoomRecorderConfig.Session, logger: Logger) {
        self.sources = sources
        self.settings = settings
        self.logger = logger
    }

    func startFeed(deliver: @escaping @Sendable (LocalMediaFrame) -> Void) throws -> any RoomMediaFeed {
        let feed = try Feed(sources: sources, settings: settings, logger: logger, deliver: deliver)
        current.withLock { $0 = feed }
        return feed
    }

    /// What the feed running now sends, or nil when the room publishes nothing.
    var status: PublishingStatus? { current.withLock { $0?.isRunning == true ? $0?.status : nil } }

    /// One encode of the room for one connection: the video on a thread of its own that always takes the newest
    /// picture (a picture that comes while the one before is still being encoded replaces it, and is counted as
    /// skipped), the sound through a one-source ``AudioMixer`` that keeps it on the clock in 20 ms blocks.
    final class Feed: RoomMediaFeed {
        private let settings: RoomRecorderConfig.Session
        private let logger: Logger
        private let deliver: @Sendable (LocalMediaFrame) -> Void
        private let stopped = Atomic(false)
        private let keyframeWanted = Atomic(true)
        private let estimateKbps = Atomic(0)
        private let newest = Mutex<MediaFrame?>(nil)
        private let pictureCame = DispatchSemaphore(value: 0)
        private let mixer: AudioMixer
        private let threads = DispatchGroup()
        private let numbers: Mutex<Numbers>
        private let attachment = Mutex<RoomSources.Attachment?>(nil)

        private struct Numbers {
            var status: PublishingStatus
            var windowStart = MonotonicInstant.now()
            var videoBytes = 0
            var audioBytes = 0
        }

        /// The room's sound is mixed this long after it was captured: its periods have arrived by then.
        static let soundDelay = 0.06

        init(sources: RoomSources, settings: RoomRecorderConfig.Session, logger: Logger,
             deliver: @escaping @Sendable (LocalMediaFrame) -> Void) throws {
            self.settings = settings
            self.logger = logger
            self.deliver = deliver
            numbers = Mutex(Numbers(status: PublishingStatus(videoTargetKbps: settings.publishVideoKbps)))
            mixer = AudioMixer(origin: .now(), frameSize: LiveAudioEncoder.frameSize)
            try mixer.join("room")
            // Each encoder belongs to its thread from here on.
            let video = Owned(try LiveVideoEncoder(maxWidth: settings.publishWidth, maxHeight: settings.publishHeight, preset: "superfast"))
            let audio = Owned(try LiveAudioEncoder(bitrateKbps: settings.publishAudioKbps))
            start("video") { [self] in encodePictures(video.value) }
            start("audio") { [self] in encodeSound(audio.value) }
            let attached = sources.attach(RoomSources.Consumer(
                picture: { [self] picture in
                    let replaced = newest.withLock { slot in defer { slot = picture }; return slot != nil }
                    if replaced { numbers.withLock { $0.status.framesSkipped += 1 } } else { pictureCame.signal() }
                },
                sound: { [mixer] period in mixer.deliverOrRestart(period, from: "room") }))
            attachment.withLock { $0 = attached }
        }

        var isRunning: Bool { !stopped.load(ordering: .relaxed) }
        var status: PublishingStatus { numbers.withLock { $0.status } }

        func requestKeyframe() {
            keyframeWanted.store(true, ordering: .relaxed)
            numbers.withLock { $0.status.keyframeRequests += 1 }
        }

        func limitVideoBitrate(_ bitsPerSecond: Int) {
            let kbps = bitsPerSecond / 1000
            let previous = estimateKbps.exchange(kbps, ordering: .relaxed)
            if previous != kbps {
                logger.info("the session's bandwidth estimate changed", metadata: ["kbps": "\(kbps)", "target": "\(targetKbps)"])
            }
        }

        /// The video bitrate to aim at: the configured one, or 90 % of the receivers' estimate if that is lower
        /// (the rest is for the sound and the packet headers), never under 100 kbit/s.
        var targetKbps: Int {
            let estimate = estimateKbps.load(ordering: .relaxed)
            return estimate > 0 ? max(100, min(settings.publishVideoKbps, estimate * 9 / 10)) : settings.publishVideoKbps
        }

        func stop() {
            guard !stopped.exchange(true, ordering: .relaxed) else { return }
            attachment.withLock { $0 }?.detach()
            pictureCame.signal()
            threads.wait()
        }

        private func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
            threads.enter()
            let thread = Thread { [threads] in
                body()
                threads.leave()
            }
            thread.name = "roomrec.publish.\(name)"
            thread.start()
        }

        private func encodePictures(_ encoder: LiveVideoEncoder) {
            while !stopped.load(ordering: .relaxed) {
                guard pictureCame.wait(timeout: .now() + 0.5) == .success else { continue }
                guard let picture = newest.withLock({ slot in defer { slot = nil }; return slot }) else { continue }
                let target = targetKbps
                do {
                    let units = try encoder.encode(picture, bitrateKbps: target, keyframe: keyframeWanted.exchange(false, ordering: .relaxed))
                    for unit in units { deliver(unit) }
                    let size = encoder.size.map { "\($0.width)x\($0.height)" }
                    count { numbers in
                        numbers.status.videoFrames += units.count
                        numbers.videoBytes += units.reduce(0) { $0 + $1.data.count }
                        numbers.status.videoTargetKbps = target
                        numbers.status.resolution = size
                    }
                } catch {
                    logger.error("the room's picture could not be encoded for the session", metadata: ["error": "\(error)"])
                    return
                }
            }
        }

        private func encodeSound(_ encoder: LiveAudioEncoder) {
            while !stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 0.02)
                do {
                    for block in try mixer.mix(until: MonotonicInstant.now().advanced(by: -Self.soundDelay)) {
                        let packets = try encoder.encode(block)
                        for packet in packets { deliver(packet) }
                        count { numbers in
                            numbers.status.audioFrames += packets.count
                            numbers.audioBytes += packets.reduce(0) { $0 + $1.data.count }
                        }
                    }
                } catch {
                    logger.error("the room's sound could not be encoded for the session", metadata: ["error": "\(error)"])
                    return
                }
            }
        }

        /// Updates the counts, and the rates every two seconds.
        private func count(_ change: (inout Numbers) -> Void) {
            numbers.withLock { numbers in
                change(&numbers)
                let now = MonotonicInstant.now()
                let seconds = now.seconds(since: numbers.windowStart)
                guard seconds >= 2 else { return }
                numbers.status.videoKbps = (Double(numbers.videoBytes) * 8 / seconds / 1000 * 10).rounded() / 10
                numbers.status.audioKbps = (Double(numbers.audioBytes) * 8 / seconds / 1000 * 10).rounded() / 10
                let estimate = estimateKbps.load(ordering: .relaxed)
                numbers.status.estimateKbps = estimate > 0 ? estimate : nil
                (numbers.windowStart, numbers.videoBytes, numbers.audioBytes) = (now, 0, 0)
            }
        }
    }
}

/// A value handed to the one thread that uses it from then on.
private struct Owned<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
