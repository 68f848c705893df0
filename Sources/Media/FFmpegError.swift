import CFFmpeg

/// A negative return code from an FFmpeg call, with the operation that failed and FFmpeg's own message.
public struct FFmpegError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32
    public let operation: String

    public var message: String {
        var buffer = [CChar](repeating: 0, count: 256)
        av_strerror(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { "\(operation) failed: \(message) (\(code))" }

    /// Whether this is `AVERROR(EAGAIN)`: the call wants input before it can give output.
    public var isAgain: Bool { code == rr_averror(EAGAIN) }
    /// Whether this is `AVERROR_EOF`.
    public var isEndOfFile: Bool { code == rr_averror_eof() }

    /// Throws for a negative `code`; returns it otherwise.
    @discardableResult
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(FFmpegError) -> Int32 {
        if code < 0 { throw FFmpegError(code: code, operation: operation()) }
        return code
    }

    /// An error for a call that returned NULL (out of memory or not found).
    static func missing(_ operation: String) -> FFmpegError { FFmpegError(code: rr_averror(ENOMEM), operation: operation) }
}

/// Process-wide FFmpeg settings, set once at start-up.
public enum FFmpegLibrary {
    /// Keeps FFmpeg's own logging to errors only; RoomRecorder reports through its own log.
    public static func quietLogging() { av_log_set_level(AV_LOG_ERROR) }
}

#if canImport(Glibc)
import Glibc
#endif

/// The versions of the FFmpeg libraries in use, for logs and for telling when a measurement is out of date.
public enum MediaVersions {
    /// e.g. "libavcodec 59.37.100, libx264 core 164".
    public static var codecs: String {
        let version = avcodec_version()
        var text = "libavcodec \(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)"
        if let x264 = avcodec_find_encoder_by_name("libx264"), let name = x264.pointee.long_name { text += ", \(String(cString: name))" }
        return text
    }
}
