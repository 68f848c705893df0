import Foundation
import RecorderCore
import Synchronization

/// Mixes any number of audio sources into the recording's 48 kHz stereo track.
///
/// Each source delivers periods from its own thread in its own format; its ``AudioClockCorrector`` converts them
/// and keeps them on the clock, and they are placed on the mixer's timeline at the instant they were captured.
/// The pipeline asks for the mix up to an instant: each block is the sum of what the sources have there (a
/// source that is silent, late or gone adds nothing and never holds the mix up), through a limiter whose gain
/// follows the peak at once and recovers over `release` seconds, so the sum never clips.
public final class AudioMixer: Sendable {
    /// One source's converted samples, positioned on the timeline.
    private final class Input: @unchecked Sendable {
        let corrector: AudioClockCorrector
        /// Sample index (from the mixer's origin) of `left[0]`.
        var start: Int64?
        var left: [Float] = []
        var right: [Float] = []
        /// The corrector's distance from the clock, copied under the mixer's lock.
        var clockError = 0.0
        init(corrector: AudioClockCorrector) { self.corrector = corrector }
    }

    private struct State: @unchecked Sendable {
        var inputs: [String: Input] = [:]
        /// Sample index of the next block to mix.
        var next: Int64 = 0
        var envelope: Float = 0
        /// Samples that came after their place in the mix had gone out.
        var lateSamples: Int64 = 0
    }

    public let origin: MonotonicInstant
    public let sampleRate: Int
    public let frameSize: Int
    /// The largest level that goes out.
    public let ceiling: Float
    private let releasePerSample: Float
    private let state = Mutex(State())

    public init(origin: MonotonicInstant, frameSize: Int, sampleRate: Int = 48_000, ceiling: Float = 0.98, release: Double = 0.2) {
        self.origin = origin
        self.frameSize = frameSize
        self.sampleRate = sampleRate
        self.ceiling = ceiling
        releasePerSample = Float(exp(-1 / (release * Double(sampleRate))))
    }

    /// A source joins the mix.
    public func join(_ id: String) throws(FFmpegError) {
        let corrector = try AudioClockCorrector(frameSize: frameSize, sampleRate: sampleRate)
        state.withLock { if $0.inputs[id] == nil { $0.inputs[id] = Input(corrector: corrector) } }
    }

    /// A source leaves; what it delivered and was not mixed yet is dropped.
    public func leave(_ id: String) {
        state.withLock { _ = $0.inputs.removeValue(forKey: id) }
    }

    /// Audio that arrived after its time in the mix had passed, in seconds; for status.
    public var lateSeconds: Double { Double(state.withLock { $0.lateSamples }) / Double(sampleRate) }

    /// The largest distance of a source's audio from the clock, in seconds; for status.
    public var largestClockError: Double { state.withLock { $0.inputs.values.map { abs($0.clockError) }.max() ?? 0 } }

    /// A source delivers a period (from its thread).
    public func deliver(_ period: MediaFrame, from id: String) throws(FFmpegError) {
        guard let input = state.withLock({ $0.inputs[id] }) else { return }
        // Converting outside the lock: each source is converted on its own thread.
        let frames = try input.corrector.push(period)
        let clockError = input.corrector.clockError
        state.withLock { state in
            guard state.inputs[id] === input else { return }
            input.clockError = clockError
            for frame in frames { Self.place(frame, in: input, origin: origin, rate: sampleRate, state: &state) }
        }
    }

    /// Like ``deliver(_:from:)``, but a period the source's converter cannot take is dropped and the converter
    /// starts afresh, so the source's next periods are mixed again; the error is returned, for the source to
    /// report.
    @discardableResult
    public func deliverOrRestart(_ period: MediaFrame, from id: String) -> FFmpegError? {
        do {
            try deliver(period, from: id)
            return nil
        } catch {
            leave(id)
            try? join(id)
            return error
        }
    }

    /// The mixed blocks whose end is at or before `instant`, each stamped with its place on the clock.
    public func mix(until instant: MonotonicInstant) throws(FFmpegError) -> [MediaFrame] {
        let end = Int64((instant.seconds(since: origin) * Double(sampleRate)).rounded(.down))
        var blocks: [MediaFrame] = []
        while true {
            let block: MediaFrame? = try state.withLock { (state) throws(FFmpegError) -> MediaFrame? in
                guard state.next + Int64(frameSize) <= end else { return nil }
                return try mixBlock(&state)
            }
            guard let block else { break }
            blocks.append(block)
        }
        return blocks
    }

    private static func place(_ frame: MediaFrame, in input: Input, origin: MonotonicInstant, rate: Int, state: inout State) {
        let stamped = Int64((frame.capturedAt.seconds(since: origin) * Double(rate)).rounded())
        let contiguous = input.start.map { $0 + Int64(input.left.count) }
        // Contiguous with what came before, unless the source jumped (reopened, or was away) by over 50 ms.
        var position = contiguous.flatMap { abs($0 - stamped) <= Int64(rate / 20) ? $0 : nil } ?? stamped
        var skip = 0
        if position < state.next {
            skip = Int(min(Int64(frame.sampleCount), state.next - position))
            state.lateSamples += Int64(skip)
            position += Int64(skip)
        }
        if contiguous != position || input.start == nil {
            input.start = position
            input.left.removeAll(keepingCapacity: true)
            input.right.removeAll(keepingCapacity: true)
        }
        frame.withChannel(0) { input.left.append(contentsOf: $0.dropFirst(skip)) }
        frame.withChannel(1) { input.right.append(contentsOf: $0.dropFirst(skip)) }
    }

    private func mixBlock(_ state: inout State) throws(FFmpegError) -> MediaFrame {
        let blockStart = state.next
        let frame = try MediaFrame.audio(samples: frameSize, sampleRate: sampleRate,
                                         capturedAt: origin.advanced(by: Double(blockStart) / Double(sampleRate)))
        var left = [Float](repeating: 0, count: frameSize)
        var right = [Float](repeating: 0, count: frameSize)
        for input in state.inputs.values {
            guard let start = input.start else { continue }
            // Samples before this block can no longer be used.
            if start < blockStart {
                let stale = Int(min(Int64(input.left.count), blockStart - start))
                input.left.removeFirst(stale)
                input.right.removeFirst(stale)
                input.start = start + Int64(stale)
            }
            let offset = Int(input.start! - blockStart)
            guard offset < frameSize else { continue }
            let count = min(frameSize - offset, input.left.count)
            for i in 0..<max(0, count) {
                left[offset + i] += input.left[i]
                right[offset + i] += input.right[i]
            }
            if count > 0 {
                input.left.removeFirst(count)
                input.right.removeFirst(count)
                input.start! += Int64(count)
            }
        }
        // The limiter: the envelope jumps to a louder peak and decays after it; the gain keeps every sample
        // under the ceiling.
        var envelope = state.envelope
        for i in 0..<frameSize {
            envelope = max(max(abs(left[i]), abs(right[i])), envelope * releasePerSample)
            let gain = envelope > ceiling ? ceiling / envelope : 1
            left[i] *= gain
            right[i] *= gain
        }
        state.envelope = envelope
        _ = frame.withChannel(0) { $0.update(fromContentsOf: left) }
        _ = frame.withChannel(1) { $0.update(fromContentsOf: right) }
        state.next += Int64(frameSize)
        return frame
    }
}
