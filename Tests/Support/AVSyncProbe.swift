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
        // Video at a constant 30 fps (gaps filled), shrunk to 64x36 grey: frame i shows time i/30.
        let video = try decode(["-i", path, "-an", "-vf", "scale=64:36,format=gray", "-vsync", "cfr", "-r", "30", "-f", "rawvideo", "-"])
        let frameBytes = 64 * 36
        var flashes: [Double] = []
        var previousWhite = false
        for index in 0..<(video.count / frameBytes) {
            let frame = video[(index * frameBytes)..<((index + 1) * frameBytes)]
            let mean = frame.reduce(0) { $0 + Int($1) } / frameBytes
            let white = mean > 200
            if white && !previousWhite { flashes.append(Double(index) / 30) }
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-v", "error", "-nostdin"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ProcessRunner.Failure(message: "ffmpeg \(arguments) failed") }
        return data
    }
}
