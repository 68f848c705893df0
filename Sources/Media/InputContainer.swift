import CFFmpeg

/// An owned libavformat input: a media file opened for reading packets.
final class InputContainer {
    private var context: UnsafeMutablePointer<AVFormatContext>?

    init(path: String) throws(FFmpegError) {
        var context: UnsafeMutablePointer<AVFormatContext>?
        try FFmpegError.check(avformat_open_input(&context, path, nil, nil), "avformat_open_input(\(path))")
        self.context = context
        try FFmpegError.check(avformat_find_stream_info(context, nil), "avformat_find_stream_info(\(path))")
    }

    deinit { avformat_close_input(&context) }

    /// The container's duration in seconds (0 when unknown).
    var durationSeconds: Double {
        let duration = context!.pointee.duration
        return duration > 0 ? Double(duration) / Double(AV_TIME_BASE) : 0
    }

    var streamCount: Int { Int(context!.pointee.nb_streams) }

    func parameters(ofStream index: Int) -> UnsafePointer<AVCodecParameters> {
        UnsafePointer(context!.pointee.streams[index]!.pointee.codecpar)
    }

    func timeBase(ofStream index: Int) -> AVRational { context!.pointee.streams[index]!.pointee.time_base }

    /// Reads the next packet; false at the end of the file.
    func read(into packet: MediaPacket) throws(FFmpegError) -> Bool {
        let result = av_read_frame(context, packet.pointer)
        if result == rr_averror_eof() { return false }
        try FFmpegError.check(result, "av_read_frame")
        return true
    }
}
