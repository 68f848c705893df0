import CALSA
import Foundation
import Media
import RecorderCore
import Synchronization

/// A room microphone read through ALSA: any capture PCM (`hw:`/`plughw:` by card name, `default`, or any name
/// from `arecord -L`), at 48 kHz if the device allows (else near it; the mixer resamples), in the sample format
/// and channel count it offers (16 or 32 bit, stereo or mono), in periods of about 10 ms.
///
/// Each period is stamped on the monotonic clock with the instant its first sample was captured (now, less
/// what the device still holds). An overrun or a suspend is recovered (`snd_pcm_recover`); a device that goes
/// away (unplugged) is reopened every second until it is back, and meanwhile the mix simply has no microphone:
/// silence, in sync. A device with no clock of its own (ALSA's `file` or `null` plugins, which deliver as fast as
/// they are read) is paced to the pipeline's clock, and its periods are stamped where that clock puts them.
public final class ALSAMicrophone: Sendable {
    public let name: String
    /// Samples per period asked of the device (10 ms at 48 kHz).
    static let periodFrames = 480

    public init(name: String) { self.name = name }

    /// An ALSA call that failed, with the device and a hint at the fix.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let name: String
        public let operation: String
        public let code: Int32
        public var description: String {
            let hint = switch -code {
            case EBUSY: " (another program has it; stop that program, or share the device through dsnoop)"
            case ENOENT, ENODEV: " (no such device; `arecord -L` lists the names, `roomrecctl devices` the cards)"
            case EACCES: " (no permission; the service user needs the audio group)"
            default: ""
            }
            return "microphone \(name): \(operation) failed: \(String(cString: snd_strerror(code)))\(hint)"
        }
    }

    /// Opens the device once, to check that it can record; throws a ``Failure`` that names the device and the fix.
    public func check() throws(Failure) {
        let device = try Device.open(name)
        device.close()
    }

    /// Reads until `stop` is set, handing each period to `deliver`; reopens a lost device every second.
    public func run(deliver: (MediaFrame) throws -> Void, events: (CaptureEvent) -> Void, stop: borrowing Atomic<Bool>) throws {
        var device: Device?
        var lostSince: MonotonicInstant?
        defer { device?.close() }
        while !stop.load(ordering: .relaxed) {
            if device == nil {
                do {
                    device = try Device.open(name)
                    events(lostSince == nil ? .opened(device!.summary) : .recovered(device!.summary))
                    lostSince = nil
                } catch {
                    if lostSince == nil {
                        lostSince = .now()
                        events(.lost("\(error)"))
                    }
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
            }
            do {
                if let period = try device!.read() { try deliver(period) }
            } catch let failure as Failure {
                device?.close()
                device = nil
                lostSince = .now()
                events(.lost("\(failure)"))
            }
        }
    }

    /// One open capture PCM.
    private final class Device {
        let pcm: OpaquePointer
        let name: String
        let rate: Int
        let channels: Int
        let format: MediaFrame.SampleFormat
        let bytesPerFrame: Int
        /// No clock of its own: paced to ours.
        let freeRunning: Bool
        private var buffer: [UInt8]
        /// The instant of the first period's first sample and the frames read since, for pacing.
        private var start: MonotonicInstant?
        private var framesRead: Int64 = 0

        var summary: String {
            "microphone \(name): \(rate) Hz, \(channels == 1 ? "mono" : "\(channels) channels"), \(format)" + (freeRunning ? ", no clock of its own (paced)" : "")
        }

        private init(pcm: OpaquePointer, name: String, rate: Int, channels: Int, format: MediaFrame.SampleFormat) {
            self.pcm = pcm
            self.name = name
            self.rate = rate
            self.channels = channels
            self.format = format
            bytesPerFrame = channels * (format == .s16 ? 2 : 4)
            let type = snd_pcm_type(pcm)
            freeRunning = type == SND_PCM_TYPE_FILE || type == SND_PCM_TYPE_NULL
            buffer = [UInt8](repeating: 0, count: ALSAMicrophone.periodFrames * 4 * bytesPerFrame)
        }

        static func open(_ name: String) throws(Failure) -> Device {
            var handle: OpaquePointer?
            // Opened non-blocking so a device another program holds answers EBUSY instead of waiting for it; reads
            // then block as usual.
            try check(snd_pcm_open(&handle, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK), name, "snd_pcm_open")
            guard let pcm = handle else { throw Failure(name: name, operation: "snd_pcm_open", code: -ENODEV) }
            do {
                var params: OpaquePointer?
                try check(snd_pcm_hw_params_malloc(&params), name, "snd_pcm_hw_params_malloc")
                defer { snd_pcm_hw_params_free(params) }
                try check(snd_pcm_nonblock(pcm, 0), name, "snd_pcm_nonblock")
                try check(snd_pcm_hw_params_any(pcm, params), name, "snd_pcm_hw_params_any")
                try check(snd_pcm_hw_params_set_access(pcm, params, SND_PCM_ACCESS_RW_INTERLEAVED), name, "set_access(interleaved)")
                // The best format the device has: 32-bit keeps a quiet room's detail; 16-bit is what most have.
                let format: MediaFrame.SampleFormat
                if snd_pcm_hw_params_test_format(pcm, params, SND_PCM_FORMAT_S32_LE) == 0 {
                    format = .s32
                    try check(snd_pcm_hw_params_set_format(pcm, params, SND_PCM_FORMAT_S32_LE), name, "set_format(S32_LE)")
                } else {
                    format = .s16
                    try check(snd_pcm_hw_params_set_format(pcm, params, SND_PCM_FORMAT_S16_LE), name, "set_format(S16_LE)")
                }
                // Stereo if it has it; mono is heard on both sides in the mix.
                let channels: UInt32 = snd_pcm_hw_params_test_channels(pcm, params, 2) == 0 ? 2 : 1
                try check(snd_pcm_hw_params_set_channels(pcm, params, channels), name, "set_channels(\(channels))")
                var rate: UInt32 = 48_000
                try check(snd_pcm_hw_params_set_rate_near(pcm, params, &rate, nil), name, "set_rate_near(48000)")
                var period = snd_pcm_uframes_t(ALSAMicrophone.periodFrames)
                try check(snd_pcm_hw_params_set_period_size_near(pcm, params, &period, nil), name, "set_period_size_near")
                var buffer = snd_pcm_uframes_t(ALSAMicrophone.periodFrames * 8)
                try check(snd_pcm_hw_params_set_buffer_size_near(pcm, params, &buffer), name, "set_buffer_size_near")
                try check(snd_pcm_hw_params(pcm, params), name, "snd_pcm_hw_params")
                try check(snd_pcm_prepare(pcm), name, "snd_pcm_prepare")
                try check(snd_pcm_start(pcm), name, "snd_pcm_start")
                return Device(pcm: pcm, name: name, rate: Int(rate), channels: Int(channels), format: format)
            } catch {
                snd_pcm_close(pcm)
                throw error
            }
        }

        /// Reads one period; nil after a recovered overrun or suspend (the next read goes on).
        func read() throws(Failure) -> MediaFrame? {
            let frames = ALSAMicrophone.periodFrames
            if freeRunning, let start {
                // A device without a clock waits for ours.
                let due = start.advanced(by: Double(framesRead + Int64(frames)) / Double(rate))
                let wait = due.seconds(since: .now())
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            let got = buffer.withUnsafeMutableBytes { snd_pcm_readi(pcm, $0.baseAddress, snd_pcm_uframes_t(frames)) }
            if got < 0 {
                let recovered = snd_pcm_recover(pcm, Int32(got), 1)
                guard recovered == 0 else { throw Failure(name: name, operation: "snd_pcm_readi", code: Int32(got)) }
                return nil
            }
            guard got > 0 else { return nil }
            // The first sample of this period was captured before what the device still holds, and before it.
            var delay: snd_pcm_sframes_t = 0
            if snd_pcm_delay(pcm, &delay) < 0 || delay < 0 { delay = 0 }
            let capturedAt = freeRunning && start != nil ? start!.advanced(by: Double(framesRead) / Double(rate))
                : MonotonicInstant.now().advanced(by: -Double(Int(delay) + got) / Double(rate))
            if start == nil { start = capturedAt }
            framesRead += Int64(got)
            let frame = try? MediaFrame.audio(samples: got, sampleRate: rate, channels: channels, format: format, capturedAt: capturedAt)
            guard let frame else { throw Failure(name: name, operation: "av_frame_get_buffer", code: -ENOMEM) }
            frame.withInterleavedBytes { target in
                buffer.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(got * bytesPerFrame))) }
            }
            return frame
        }

        func close() { snd_pcm_close(pcm) }

        private static func check(_ result: Int32, _ name: String, _ operation: String) throws(Failure) {
            if result < 0 { throw Failure(name: name, operation: operation, code: result) }
        }
    }
}
