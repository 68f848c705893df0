import CFFmpeg

/// An owned `AVPacket`: one encoded access unit.
final class MediaPacket {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(FFmpegError) {
        guard let packet = av_packet_alloc() else { throw .missing("av_packet_alloc") }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    func unref() { av_packet_unref(pointer) }

    /// Sends `bytes` to `decoder` as one packet without copying them: the packet borrows them for the call only.
    /// Returns what `avcodec_send_packet` returned.
    func send(_ bytes: UnsafeRawBufferPointer, to decoder: UnsafeMutablePointer<AVCodecContext>) -> Int32 {
        unref()
        pointer.pointee.data = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        pointer.pointee.size = Int32(bytes.count)
        defer {
            pointer.pointee.data = nil
            pointer.pointee.size = 0
        }
        return avcodec_send_packet(decoder, pointer)
    }
}
