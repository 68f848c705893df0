import CFFmpeg

/// An owned libavformat output: a file being muxed, through a ``HashedOutputFile`` that keeps its own I/O
/// context. Streams are added, the header written with muxer options, packets written interleaved, and the
/// trailer written by `finish()`.
final class OutputContainer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var headerWritten = false
    private let file: HashedOutputFile
    let path: String

    /// A container written through `file`.
    init(file: HashedOutputFile, format: String) throws(FFmpegError) {
        var context: UnsafeMutablePointer<AVFormatContext>?
        try FFmpegError.check(avformat_alloc_output_context2(&context, nil, format, file.path), "avformat_alloc_output_context2(\(format))")
        context!.pointee.pb = file.context
        context!.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        self.context = context
        self.file = file
        path = file.path
    }

    deinit {
        guard let context else { return }
        avformat_free_context(context)
    }

    /// Adds a stream described by `parameters` and returns its index.
    func addStream(parameters: UnsafePointer<AVCodecParameters>, timeBase: AVRational) throws(FFmpegError) -> Int32 {
        guard let stream = avformat_new_stream(context, nil) else { throw .missing("avformat_new_stream") }
        try FFmpegError.check(avcodec_parameters_copy(stream.pointee.codecpar, parameters), "avcodec_parameters_copy")
        stream.pointee.codecpar.pointee.codec_tag = 0
        stream.pointee.time_base = timeBase
        return stream.pointee.index
    }

    /// Adds a stream fed by `encoder`.
    func addStream(for encoder: Encoder) throws(FFmpegError) -> Int32 {
        guard let parameters = avcodec_parameters_alloc() else { throw .missing("avcodec_parameters_alloc") }
        var owned: UnsafeMutablePointer<AVCodecParameters>? = parameters
        defer { avcodec_parameters_free(&owned) }
        try FFmpegError.check(avcodec_parameters_from_context(parameters, encoder.context), "avcodec_parameters_from_context")
        return try addStream(parameters: parameters, timeBase: encoder.timeBase)
    }

    /// Writes the header; `options` are muxer options such as `movflags`.
    func writeHeader(options: [String: String]) throws(FFmpegError) {
        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        try FFmpegError.check(avformat_write_header(context, &dictionary), "avformat_write_header(\(path))")
        headerWritten = true
        // The muxer leaves behind what it did not take: a misspelt option must not silently change the file.
        if let unused = av_dict_get(dictionary, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw FFmpegError(code: rr_averror(EINVAL), operation: "avformat_write_header: unknown option \(String(cString: unused.pointee.key))")
        }
    }

    /// The time base the muxer chose for a stream (it may differ from the one asked for).
    func timeBase(ofStream index: Int32) -> AVRational { context!.pointee.streams[Int(index)]!.pointee.time_base }

    /// Writes a packet whose timestamps are in `timeBase`, rescaled to the stream's.
    func write(_ packet: MediaPacket, stream index: Int32, from timeBase: AVRational) throws(FFmpegError) {
        packet.pointer.pointee.stream_index = index
        av_packet_rescale_ts(packet.pointer, timeBase, self.timeBase(ofStream: index))
        try FFmpegError.check(av_interleaved_write_frame(context, packet.pointer), "av_interleaved_write_frame(\(path))")
    }

    /// Writes the trailer and closes the file.
    func finish() throws(FFmpegError) {
        guard let context else { return }
        defer {
            avformat_free_context(context)
            self.context = nil
        }
        if headerWritten { try FFmpegError.check(av_write_trailer(context), "av_write_trailer(\(path))") }
        if let error = file.markConsistent() { throw FFmpegError(code: rr_averror(error), operation: "write(\(path))") }
    }
}
