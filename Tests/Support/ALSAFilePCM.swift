import Foundation

/// An ALSA capture PCM that plays known samples, through ALSA's real `file` plugin (the build machines have no
/// sound card): the samples are written as raw 32-bit stereo at 48 kHz, and an asoundrc names the PCM.
public struct ALSAFilePCM {
    /// The PCM's name for `[capture] microphone` or `snd_pcm_open`.
    public let name = "roomtest"
    /// `ALSA_CONFIG_PATH` for a process that opens it: ALSA's own configuration, then this PCM.
    public let configPath: String

    /// Writes `samples` (from −1 to 1, the same on both channels) and the asoundrc into `directory`.
    public init(samples: [Double], in directory: String) throws {
        var raw = Data(capacity: samples.count * 8)
        for sample in samples {
            let value = Int32(sample * 2_147_483_647).littleEndian
            withUnsafeBytes(of: value) { raw.append(contentsOf: $0) }
            withUnsafeBytes(of: value) { raw.append(contentsOf: $0) }
        }
        try raw.write(to: URL(fileURLWithPath: "\(directory)/\(name).raw"))
        // The capture stream reads the file in the format the reader opens it with: 32-bit stereo, as written.
        // (With a plug in front converting from 16-bit, alsa-lib's file plugin reads the file too fast.)
        try """
            pcm.\(name) { type file; slave.pcm "null"; file "/dev/null"; infile "\(directory)/\(name).raw"; format "raw" }
            """.write(toFile: "\(directory)/asoundrc", atomically: true, encoding: .utf8)
        configPath = "/usr/share/alsa/alsa.conf:\(directory)/asoundrc"
    }

    /// The environment a daemon or script needs to find it.
    public var environment: [String: String] { ["ALSA_CONFIG_PATH": configPath] }
}
