import Foundation

/// What the real `ffprobe` says of a media file.
public struct FFprobe: Sendable {
    /// One stream of the file.
    public struct Stream: Sendable {
        public var codecName: String
        public var profile: String?
        public var width: Int?
        public var height: Int?
        /// Frames per second, from `r_frame_rate` (the stream's base rate).
        public var frameRate: Double?
        /// Frames per second, from `avg_frame_rate` (frames over duration).
        public var averageFrameRate: Double?
        public var sampleRate: Int?
        public var channels: Int?
        public var duration: Double?
    }

    public var streams: [Stream]
    public var formatName: String
    public var duration: Double

    public var video: Stream? { streams.first { $0.width != nil } }
    public var audio: Stream? { streams.first { $0.sampleRate != nil } }

    /// Runs `ffprobe -show_streams -show_format` on `path`; throws when ffprobe cannot read the file.
    public static func run(_ path: String) throws -> FFprobe {
        let output = try ProcessRunner.run("/usr/bin/ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path])
        guard output.status == 0 else { throw ProcessRunner.Failure(message: "ffprobe \(path): \(output.stderr)") }
        let json = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as! [String: Any]
        let streams = (json["streams"] as? [[String: Any]] ?? []).map { s -> Stream in
            let type = s["codec_type"] as? String
            return Stream(
                codecName: s["codec_name"] as? String ?? "",
                profile: s["profile"] as? String,
                width: type == "video" ? s["width"] as? Int : nil,
                height: type == "video" ? s["height"] as? Int : nil,
                frameRate: (s["r_frame_rate"] as? String).flatMap(rate),
                averageFrameRate: (s["avg_frame_rate"] as? String).flatMap(rate),
                sampleRate: type == "audio" ? (s["sample_rate"] as? String).flatMap { Int($0) } : nil,
                channels: type == "audio" ? s["channels"] as? Int : nil,
                duration: (s["duration"] as? String).flatMap { Double($0) })
        }
        let format = json["format"] as? [String: Any] ?? [:]
        return FFprobe(streams: streams, formatName: format["format_name"] as? String ?? "",
                       duration: (format["duration"] as? String).flatMap { Double($0) } ?? 0)
    }

    private static func rate(_ text: String) -> Double? {
        let parts = text.split(separator: "/").compactMap { Double($0) }
        guard parts.count == 2, parts[1] != 0 else { return nil }
        return parts[0] / parts[1]
    }

    /// What differs from a RoomRecorder recording: H.264 High 1920×1080 at 30 fps, AAC-LC 48 kHz stereo.
    /// Empty when the file is one.
    public var recordingMismatches: [String] {
        var problems: [String] = []
        func check<T: Equatable>(_ what: String, _ value: T?, _ expected: T) {
            if value != expected { problems.append("\(what) is \(value.map { "\($0)" } ?? "missing"), not \(expected)") }
        }
        check("video codec", video?.codecName, "h264")
        check("video profile", video?.profile, "High")
        check("width", video?.width, 1920)
        check("height", video?.height, 1080)
        check("frame rate", video?.frameRate, 30)
        // Frames over the stream's duration: within two frames of 30 per second over the file's length.
        let tolerance = max(0.3, 2 / max(video?.duration ?? duration, 1))
        if abs((video?.averageFrameRate ?? 0) - 30) > tolerance { problems.append("average frame rate is \(video?.averageFrameRate ?? 0)") }
        check("audio codec", audio?.codecName, "aac")
        check("audio profile", audio?.profile, "LC")
        check("sample rate", audio?.sampleRate, 48_000)
        check("channels", audio?.channels, 2)
        return problems
    }

    /// What FFmpeg reports while decoding every packet of the file (empty when all of it decodes cleanly).
    public static func decodeErrors(_ path: String) throws -> [String] {
        let output = try ProcessRunner.run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
        return output.stderr.split(separator: "\n").map(String.init) + (output.status == 0 ? [] : ["ffmpeg exited with \(output.status)"])
    }

    /// Whether the file's top-level `moov` box comes before its first `mdat` (an MP4 written with faststart).
    public static func moovPrecedesMdat(_ path: String) throws -> Bool {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var offset: UInt64 = 0
        while true {
            try handle.seek(toOffset: offset)
            guard let header = try handle.read(upToCount: 16), header.count >= 8 else { return false }
            var size = header.prefix(4).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let type = String(decoding: header[4..<8], as: UTF8.self)
            if type == "moov" { return true }
            if type == "mdat" { return false }
            if size == 1, header.count == 16 { size = header[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
            guard size >= 8 else { return false }
            offset += size
        }
    }
}
