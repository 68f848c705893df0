import Foundation

/// Measures audio/video sync in a recording of the synthetic stage, decoding it with the real `ffmpeg`: the
/// first frame of every second is white and the audio beeps from the same instant.
public enum AVSyncProbe {
    /// Seconds from the start of the file of each white flash and of each beep.
    public struct Marks: Sendable {
        public var flashes: [Double]
        public var beeps: [Double]

        /// For each flash, the offset to the nearest beep (beep minus flash), in seconds.
        public var offsets: [Double] {
            flashes.compactMap { flash in beeps.min { abs($0 - flash) < abs($1 - flash) }.map { $0 - flash } }
        }
    }

    public static func marks(in path: String) throws -> Marks {
        // Every video frame as it is in the file, shrunk to 64x36 grey, with its presentation time from ffprobe.
        let times = try ProcessRunner.run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "frame=pts_time",
                                                               "-of", "csv=p=0", path])
            .stdout.split(whereSeparator: \.isNewline).compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: ", "))) }
        let video = try decode(["-i", path, "-an", "-vf", "scale=64:36,format=gray", "-fps_mode", "passthrough", "-f", "rawvideo", "-"])
        let frameBytes = 64 * 36
        guard video.count / frameBytes == times.count else {
            throw ProcessRunner.Failure(message: "ffmpeg decoded \(video.count / frameBytes) frames, ffprobe listed \(times.count)")
        }
        var flashes: [Double] = []
        var previousWhite = false
        for index in 0..<times.count {
            let frame = video[(index * frameBytes)..<((index + 1) * frameBytes)]
            let mean = frame.reduce(0) { $0 + Int($1) } / frameBytes
            let white = mean > 200
            // The very first frame starts the file whatever its timestamp; only later flashes are measured.
            if white && !previousWhite && index > 0 { flashes.append(times[index]) }
            previousWhite = white
        }
        // Audio as mono 16-bit at 48 kHz: a beep starts where the level first exceeds the tone's.
        let audio = try decode(["-i", path, "-vn", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"])
        var beeps: [Double] = []
        var lastLoud = -48_000
        audio.withUnsafeBytes { raw in
            let samples = raw.bindMemory(to: Int16.self)
            for (index, sample) in samples.enumerated() where abs(Int(sample)) > Int(0.3 * 32767) {
                if index - lastLoud > 24_000 { beeps.append(Double(index) / 48_000) }
                lastLoud = index
            }
        }
        return Marks(flashes: flashes, beeps: beeps)
    }

    private static func decode(_ arguments: [String]) throws -> Data {
        try ProcessRunner.runData("/usr/bin/ffmpeg", ["-v", "error", "-nostdin"] + arguments)
    }
}
