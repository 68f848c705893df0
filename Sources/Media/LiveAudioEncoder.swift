import CFFmpeg
import RecorderCore

/// Encodes the room's sound for a live publication into the online session: 48 kHz stereo planar float blocks of
/// 20 ms (what an ``AudioMixer`` with a frame size of 960 gives) into Opus packets, by libopus. Used from one
/// thread.
public final class LiveAudioEncoder {
    /// Samples per channel in a block: 20 ms at 48 kHz.
    public static let frameSize = 960
    private let encoder: Encoder
    private let packet: MediaPacket
    private var nextPTS: Int64 = 0

    public init(bitrateKbps: Int = 64) throws(FFmpegError) {
        encoder = try Encoder.opusLive(bitrateKbps: bitrateKbps)
        packet = try MediaPacket()
    }

    /// Encodes one block of ``frameSize`` samples; returns the packets ready.
    public func encode(_ block: MediaFrame) throws(FFmpegError) -> [LocalMediaFrame] {
        let samples = block.sampleCount
        let interleaved = try MediaFrame.audio(samples: samples, format: .float, capturedAt: block.capturedAt)
        interleaved.withInterleavedBytes { bytes in
            let out = bytes.bindMemory(to: Float.self)
            block.withChannel(0) { left in
                block.withChannel(1) { right in
                    for i in 0..<samples {
                        out[2 * i] = left[i]
                        out[2 * i + 1] = right[i]
                    }
                }
            }
        }
        interleaved.pointer.pointee.pts = nextPTS
        nextPTS += Int64(samples)
        try encoder.send(interleaved)
        var packets: [LocalMediaFrame] = []
        try encoder.drain(into: packet) { (packet) throws(FFmpegError) in
            let p = packet.pointer.pointee
            packets.append(LocalMediaFrame(kind: .audio, data: Array(UnsafeBufferPointer(start: p.data, count: Int(p.size))),
                                           keyframe: true, duration: Double(p.duration) / 48_000))
        }
        return packets
    }
}
