import CFFmpeg

/// An owned libavformat input: a media file opened to read what it holds.
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
}
