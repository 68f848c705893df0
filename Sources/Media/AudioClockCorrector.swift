import CFFmpeg
import RecorderCore

/// Puts a sound card's audio on the pipeline's clock: each period goes through libswresample, which stretches
/// or squeezes it by the few samples ``AudioClockAligner`` asks for (`swr_set_compensation`), and comes out in
/// frames of the encoder's size stamped by the samples gone out, so the audio timeline has no gaps, no
/// overlaps, and no drift against the picture. 48 kHz stereo planar float in and out. Used from one thread.
public final class AudioClockCorrector {
    private var resampler: OpaquePointer?
    private let fifo: OpaquePointer
    private var aligner: AudioClockAligner
    private let frameSize: Int
    private let sampleRate: Int
    /// The capture instant of the first sample, from which output frames are stamped.
    private var origin: MonotonicInstant?
    private var samplesEmitted: Int64 = 0

    /// Samples the clock said to add (positive) or remove so far; for status and tests.
    public private(set) var samplesCorrected: Int64 = 0

    public init(frameSize: Int, sampleRate: Int = 48_000, maxCorrection: Double = 0.001) throws(FFmpegError) {
        self.frameSize = frameSize
        self.sampleRate = sampleRate
        aligner = AudioClockAligner(sampleRate: sampleRate, maxCorrection: maxCorrection)
        var output = rr_stereo_layout()
        var input = rr_stereo_layout()
        var context: OpaquePointer?
        try FFmpegError.check(swr_alloc_set_opts2(&context, &output, AV_SAMPLE_FMT_FLTP, Int32(sampleRate),
                                                  &input, AV_SAMPLE_FMT_FLTP, Int32(sampleRate), 0, nil), "swr_alloc_set_opts2")
        resampler = context
        // Resample from the start, so that turning compensation on later changes neither the delay nor the sound.
        try FFmpegError.check(av_opt_set_int(UnsafeMutableRawPointer(context), "flags", Int64(SWR_FLAG_RESAMPLE), 0), "av_opt_set_int(flags)")
        try FFmpegError.check(swr_init(context), "swr_init")
        guard let fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 2, Int32(frameSize * 4)) else {
            swr_free(&resampler)
            throw .missing("av_audio_fifo_alloc")
        }
        self.fifo = fifo
    }

    deinit {
        swr_free(&resampler)
        av_audio_fifo_free(fifo)
    }

    /// Takes one period from the card and returns the whole encoder frames now ready.
    public func push(_ period: MediaFrame) throws(FFmpegError) -> [MediaFrame] {
        if origin == nil { origin = period.capturedAt }
        let samples = period.sampleCount
        let wanted = aligner.samplesOut(forPeriodOf: samples, capturedAt: period.capturedAt)
        if wanted != samples {
            try FFmpegError.check(swr_set_compensation(resampler, Int32(wanted - samples), Int32(wanted)), "swr_set_compensation")
            samplesCorrected += Int64(wanted - samples)
        }
        try convert(input: period.pointer.pointee.extended_data, count: samples)
        return try readyFrames()
    }

    /// What the resampler still holds, as a last (possibly short) frame; at the end of a recording.
    public func drain() throws(FFmpegError) -> [MediaFrame] {
        try convert(input: nil, count: 0)
        var frames = try readyFrames()
        let left = Int(av_audio_fifo_size(fifo))
        if left > 0 { frames.append(try read(left)) }
        return frames
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
