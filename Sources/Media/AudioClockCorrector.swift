import CFFmpeg
import RecorderCore

/// Puts one audio source on the pipeline's clock and format: each period, in whatever sample format, rate and
/// channel layout the source has, goes through libswresample to 48 kHz stereo planar float, and is stretched
/// or squeezed by the few samples ``AudioClockAligner`` asks for (`swr_set_compensation`). It comes out in
/// frames of `frameSize` stamped by the samples gone out, so the audio timeline has no gaps, no overlaps, and
/// no drift against the picture. Mono is heard on both sides. When the source jumps (a device reopened after it
/// was unplugged, an overrun that lost samples), the timeline starts again at the new capture instant rather than
/// being bent back slowly. Used from one thread.
public final class AudioClockCorrector {
    private var resampler: OpaquePointer?
    /// The input format the resampler was set up for: rate, sample format, channels.
    private var inputFormat: (rate: Int32, format: Int32, channels: Int32)?
    private let fifo: OpaquePointer
    private var aligner: AudioClockAligner
    private let maxCorrection: Double
    private let frameSize: Int
    private let sampleRate: Int
    /// The capture instant of the first sample, from which output frames are stamped.
    private var origin: MonotonicInstant?
    private var samplesEmitted: Int64 = 0
    /// The fraction of an output sample carried between periods of an input at another rate.
    private var carry = 0.0
    /// When the next period should have been captured, if the source runs on.
    private var expectedNext: MonotonicInstant?
    /// How far a period may be from where the last one ended before the source counts as having jumped.
    static let jumpTolerance = 0.05

    /// Samples the clock said to add (positive) or remove so far; for status and tests.
    public private(set) var samplesCorrected: Int64 = 0

    public init(frameSize: Int, sampleRate: Int = 48_000, maxCorrection: Double = 0.001) throws(FFmpegError) {
        self.frameSize = frameSize
        self.sampleRate = sampleRate
        self.maxCorrection = maxCorrection
        aligner = AudioClockAligner(sampleRate: sampleRate, maxCorrection: maxCorrection)
        guard let fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, Int32(frameSize * 4)) else { throw .missing("av_audio_fifo_alloc") }
        self.fifo = fifo
    }

    deinit {
        swr_free(&resampler)
        av_audio_fifo_free(fifo)
    }

    /// How far the audio that had gone out was from the clock at the last period, in seconds (positive: ahead).
    public private(set) var clockError = 0.0

    /// Takes one period from the source and returns the whole frames now ready.
    public func push(_ period: MediaFrame) throws(FFmpegError) -> [MediaFrame] {
        if let expectedNext, abs(period.capturedAt.seconds(since: expectedNext)) > Self.jumpTolerance { restart() }
        expectedNext = period.capturedAt.advanced(by: Double(period.sampleCount) / Double(max(1, period.pointer.pointee.sample_rate)))
        try prepare(for: period)
        if origin == nil { origin = period.capturedAt }
        let samples = period.sampleCount
        let exact = Double(samples) * Double(sampleRate) / Double(period.pointer.pointee.sample_rate) + carry
        let nominal = Int(exact.rounded(.down))
        carry = exact - Double(nominal)
        clockError = aligner.error(at: period.capturedAt) / Double(sampleRate)
        let wanted = aligner.samplesOut(forPeriodOf: nominal, capturedAt: period.capturedAt)
        if wanted != nominal {
            try FFmpegError.check(swr_set_compensation(resampler, Int32(wanted - nominal), Int32(wanted)), "swr_set_compensation")
            samplesCorrected += Int64(wanted - nominal)
        }
        try convert(input: period.pointer.pointee.extended_data, count: samples)
        return try readyFrames()
    }

    /// What the resampler still holds, as a last (possibly short) frame; at the end of a recording.
    public func drain() throws(FFmpegError) -> [MediaFrame] {
        guard resampler != nil else { return [] }
        try convert(input: nil, count: 0)
        var frames = try readyFrames()
        let left = Int(av_audio_fifo_size(fifo))
        if left > 0 { frames.append(try read(left)) }
        return frames
    }

    /// Forgets the timeline: the next period starts it again (what the resampler and the FIFO held, under a
    /// frame, is dropped).
    private func restart() {
        swr_free(&resampler)
        inputFormat = nil
        av_audio_fifo_reset(fifo)
        origin = nil
        samplesEmitted = 0
        aligner = AudioClockAligner(sampleRate: sampleRate, maxCorrection: maxCorrection)
        carry = 0
        clockError = 0
    }

    /// Sets up (or, when the source's format changed, sets up again) the resampler for `period`'s format.
    private func prepare(for period: MediaFrame) throws(FFmpegError) {
        let frame = period.pointer.pointee
        let format = (frame.sample_rate, frame.format, frame.ch_layout.nb_channels)
        if let current = inputFormat, current == format { return }
        swr_free(&resampler)
        var output = rr_stereo_layout()
        var input = AVChannelLayout()
        defer { av_channel_layout_uninit(&input) }
        if format.2 == 1 {
            // A mono microphone is heard on both sides, at full level.
            var mono = rr_mono_layout()
            try FFmpegError.check(av_channel_layout_copy(&input, &mono), "av_channel_layout_copy")
        } else {
            var source = frame.ch_layout
            try FFmpegError.check(av_channel_layout_copy(&input, &source), "av_channel_layout_copy")
        }
        var context: OpaquePointer?
        try FFmpegError.check(swr_alloc_set_opts2(&context, &output, AV_SAMPLE_FMT_FLTP, Int32(sampleRate),
                                                  &input, AVSampleFormat(frame.format), frame.sample_rate, 0, nil), "swr_alloc_set_opts2")
        resampler = context
        // Resample from the start, so that turning compensation on later changes neither the delay nor the sound.
        try FFmpegError.check(av_opt_set_int(UnsafeMutableRawPointer(context), "flags", Int64(SWR_FLAG_RESAMPLE), 0), "av_opt_set_int(flags)")
        if format.2 == 1 {
            // libswresample's up-mix lowers mono by 3 dB on each side; the room's microphone should not get quieter.
            let matrix: [Double] = [1, 1]
            try FFmpegError.check(swr_set_matrix(context, matrix, 1), "swr_set_matrix(mono to stereo)")
        }
        try FFmpegError.check(swr_init(context), "swr_init")
        inputFormat = format
    }

    private func convert(input: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, count: Int) throws(FFmpegError) {
        let room = Int(swr_get_out_samples(resampler, Int32(count))) + 64
        let scratch = try MediaFrame.audio(samples: room, sampleRate: sampleRate, capturedAt: .now())
        let produced = swr_convert(resampler, scratch.pointer.pointee.extended_data, Int32(room),
                                   input.map { UnsafeMutablePointer(OpaquePointer($0)) }, Int32(count))
        try FFmpegError.check(produced, "swr_convert")
        guard produced > 0 else { return }
        let written = scratch.pointer.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: 2) {
            av_audio_fifo_write(fifo, $0, produced)
        }
        try FFmpegError.check(written, "av_audio_fifo_write")
    }

    private func readyFrames() throws(FFmpegError) -> [MediaFrame] {
        var frames: [MediaFrame] = []
        while Int(av_audio_fifo_size(fifo)) >= frameSize { frames.append(try read(frameSize)) }
        return frames
    }

    private func read(_ count: Int) throws(FFmpegError) -> MediaFrame {
        let stamp = origin!.advanced(by: Double(samplesEmitted) / Double(sampleRate))
        let frame = try MediaFrame.audio(samples: count, sampleRate: sampleRate, capturedAt: stamp)
        let read = frame.pointer.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: 2) {
            av_audio_fifo_read(fifo, $0, Int32(count))
        }
        try FFmpegError.check(read, "av_audio_fifo_read")
        samplesEmitted += Int64(count)
        return frame
    }
}
