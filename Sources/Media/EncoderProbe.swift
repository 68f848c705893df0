import CFFmpeg
import Foundation
import RecorderCore

/// Tries the H.264 encoders this machine may have by opening each and encoding a few 1080p frames; what
/// worked and what did not (with FFmpeg's error) goes to ``EncoderSelection``.
public enum EncoderProbe {
    /// Frames each candidate must encode to count as working.
    static let testFrames = 8

    /// The candidates worth trying here: VA-API on every render node, Quick Sync and NVENC (their libraries
    /// decide if there is a device), a V4L2 memory-to-memory encoder where there are video devices, and libx264.
    public static func candidates(deviceDirectory: String = "/dev") -> [EncoderSelection.Candidate] {
        let dri = (try? FileManager.default.contentsOfDirectory(atPath: "\(deviceDirectory)/dri")) ?? []
        let renderNodes = dri.filter { $0.hasPrefix("renderD") }.sorted().map { "\(deviceDirectory)/dri/\($0)" }
        let videoNodes = ((try? FileManager.default.contentsOfDirectory(atPath: deviceDirectory)) ?? []).filter { $0.hasPrefix("video") }
        return [.init(.nvenc), .init(.qsv)] + renderNodes.map { .init(.vaapi, device: $0) }
            + (videoNodes.isEmpty ? [] : [.init(.v4l2m2m)]) + [.init(.x264)]
    }

    /// Opens `candidate` with `settings` and encodes a few frames; the result says whether it works, and why not.
    public static func probe(_ candidate: EncoderSelection.Candidate, settings: VideoEncoderSettings) -> EncoderSelection.Probe {
        var settings = settings
        settings.encoder = candidate
        if candidate.kind == .x264 { settings.preset = "ultrafast" }
        do {
            let encoder = try Encoder.h264(settings)
            let picture = try MediaFrame.video(width: settings.width, height: settings.height, format: AV_PIX_FMT_YUV420P, capturedAt: .now())
            try FFmpegError.check(av_frame_make_writable(picture.pointer), "av_frame_make_writable")
            let packet = try MediaPacket()
            var packets = 0
            for index in 0..<testFrames {
                fill(picture, shade: UInt8(16 + index * 20))
                picture.pointer.pointee.pts = Int64(index) * 3000
                try encoder.send(picture)
                try encoder.drain(into: packet) { _ in packets += 1 }
            }
            try encoder.send(nil)
            try encoder.drain(into: packet) { _ in packets += 1 }
            guard packets > 0 else { return .init(candidate, failure: "it opened but gave no packets for \(testFrames) frames") }
            return .init(candidate)
        } catch {
            return .init(candidate, failure: "\(error)")
        }
    }

    private static func fill(_ frame: MediaFrame, shade: UInt8) {
        let f = frame.pointer.pointee
        memset(f.data.0!, Int32(shade), Int(f.linesize.0) * frame.height)
        memset(f.data.1!, 128, Int(f.linesize.1) * frame.height / 2)
        memset(f.data.2!, 128, Int(f.linesize.2) * frame.height / 2)
    }
}

/// Measures how fast the stage is composed and encoded by libx264 at each preset on this machine, with the cores
/// it may use, doing what the pipeline does for a camera: each picture of a test pattern (rendered and
/// JPEG-compressed once, beforehand) is decoded as a USB camera's MJPEG is, scaled into the canvas by the
/// ``Compositor``, and encoded.
public enum X264Calibrator {
    /// Frames per second for each preset tried, fastest preset first; it stops after the first preset too slow
    /// for `requiredSpeed` (slower ones would be slower still). Each preset runs for about `seconds`.
    public static func measure(settings: VideoEncoderSettings, seconds: Double = 2, requiredSpeed: Double = 1.5) throws -> [String: Double] {
        let graph = try FilterGraphSource(description: "testsrc2=size=\(settings.width)x\(settings.height):rate=\(settings.framesPerSecond),format=yuvj420p")
        let jpeg = try Encoder.mjpeg(width: settings.width, height: settings.height)
        let packet = try MediaPacket()
        var pictures: [[UInt8]] = []
        for index in 0..<30 {
            let picture = try graph.nextFrame(capturedAt: MonotonicInstant(nanoseconds: Int64(index)))
            picture.pointer.pointee.pts = Int64(index)
            try jpeg.send(picture)
            try jpeg.drain(into: packet) { packet in
                pictures.append(Array(UnsafeBufferPointer(start: packet.pointer.pointee.data, count: Int(packet.pointer.pointee.size))))
            }
        }
        let camera = try CameraDecoder(mode: CameraMode("MJPG", settings.width, settings.height, fps: Double(settings.framesPerSecond)))
        let compositor = try Compositor(width: settings.width, height: settings.height, mode: .grid)
        let source = StageLayout.Source(id: "camera", kind: .roomCamera, width: settings.width, height: settings.height)
        var measured: [String: Double] = [:]
        for preset in X264Calibration.presets {
            var trial = settings
            trial.encoder = .init(.x264)
            trial.preset = preset
            let encoder = try Encoder.h264(trial)
            let start = MonotonicInstant.now()
            var frames = 0
            while MonotonicInstant.now().seconds(since: start) < seconds || frames < 30 {
                let decoded = try pictures[frames % pictures.count].withUnsafeBytes { (bytes) throws(FFmpegError) in try camera.decode(bytes, capturedAt: .now()) }
                let canvas = try compositor.compose([(source, decoded)], at: .now())
                canvas.pointer.pointee.pts = Int64(frames) * 3000
                try encoder.send(canvas)
                try encoder.drain(into: packet) { _ in }
                frames += 1
            }
            try encoder.send(nil)
            try encoder.drain(into: packet) { _ in }
            let fps = Double(frames) / MonotonicInstant.now().seconds(since: start)
            measured[preset] = (fps * 10).rounded() / 10
            if fps < Double(settings.framesPerSecond) * requiredSpeed { break }
        }
        return measured
    }
}
