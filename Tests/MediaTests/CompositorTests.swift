import Foundation
import Media
import RecorderCore
import TestSupport
import XCTest

/// Known coloured inputs of different sizes, frame rates and pixel formats composed, encoded to H.264 and
/// decoded again by the `ffmpeg` command line: the colours must be where the layout puts the tiles.
final class CompositorTests: XCTestCase {
    private var directory: TemporaryDirectory!
    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory = nil }

    private typealias RGB = (r: Int, g: Int, b: Int)
    private static let backgroundRGB: RGB = (19, 19, 19)
    private static let slateRGB: RGB = (93, 93, 93)

    /// A solid-colour input drawn by libavfilter.
    private struct Input {
        let source: StageLayout.Source
        let colour: RGB
        let framesPerSecond: Int
        let graph: FilterGraphSource

        init(_ id: String, _ kind: StageLayout.Kind, _ width: Int, _ height: Int, _ colour: RGB, format: String, fps: Int = 30) throws {
            source = StageLayout.Source(id: id, kind: kind, width: width, height: height)
            self.colour = colour
            framesPerSecond = fps
            let hex = String(format: "0x%02X%02X%02X", colour.r, colour.g, colour.b)
            graph = try FilterGraphSource(description: "color=c=\(hex):s=\(width)x\(height):r=\(fps),format=\(format)")
        }
    }

    /// Composes `frames` frames at 30 fps of the inputs `onStage(n)` says are on stage at frame n (in order),
    /// encodes them, and returns the file and each frame's layout.
    private func record(_ inputs: [Input], frames: Int, mode: StageLayout.Mode, speaker: String? = nil, silent: Set<String> = [],
                        onStage: (Int) -> [String]) throws -> (path: String, layouts: [StageLayout]) {
        let path = directory.url.appendingPathComponent("stage-\(mode.rawValue).mp4").path
        let origin = MonotonicInstant(nanoseconds: 10_000_000_000)
        let writer = try RecordingWriter(path: path, origin: origin, video: VideoEncoderSettings(preset: "ultrafast"), audio: AudioEncoderSettings())
        let compositor = try Compositor(mode: mode)
        let stage = StageInputs()
        stage.activeSpeaker = speaker
        var layouts: [StageLayout] = []
        var audioSamples = 0
        for n in 0..<frames {
            let instant = origin.advanced(by: Double(n) / 30)
            let present = onStage(n)
            for input in inputs where !present.contains(input.source.id) { stage.leave(input.source.id) }
            for id in present {
                let input = inputs.first { $0.source.id == id }!
                stage.join(input.source)
                // A 15 fps source delivers every other output frame; a silent one stops at frame 10.
                guard n % (30 / input.framesPerSecond) == 0, !(silent.contains(id) && n >= 10) else { continue }
                stage.deliver(try input.graph.nextFrame(capturedAt: instant), from: id)
            }
            let canvas = try compositor.compose(stage.pictures(at: instant, frameInterval: 1.0 / 30), speakerId: stage.activeSpeaker, at: instant)
            layouts.append(compositor.layout)
            try writer.consume(video: canvas)
            while Double(audioSamples) / 48_000 < Double(n + 1) / 30 {
                let silence = try MediaFrame.audio(samples: writer.audioFrameSize, capturedAt: origin.advanced(by: Double(audioSamples) / 48_000))
                silence.withChannel(0) { $0.update(repeating: 0) }
                silence.withChannel(1) { $0.update(repeating: 0) }
                try writer.consume(audio: silence)
                audioSamples += writer.audioFrameSize
            }
        }
        XCTAssertNil(try writer.finish().failure)
        return (path, layouts)
    }

    /// The colour the layout puts at (x, y): the topmost tile there, else the background.
    private func expected(at x: Int, _ y: Int, in layout: StageLayout, _ inputs: [Input]) -> RGB {
        guard let tile = layout.tiles.last(where: { $0.rect.contains(x: x, y: y) }) else { return Self.backgroundRGB }
        return inputs.first { $0.source.id == tile.sourceId }!.colour
    }

    /// Each tile's centre has its source's colour, and just inside and just outside each edge is what the
    /// layout says is there.
    private func assertTiles(of picture: DecodedPicture, _ layout: StageLayout, _ inputs: [Input], frame: Int,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(layout.tiles.isEmpty, "frame \(frame) has tiles", file: file, line: line)
        for tile in layout.tiles {
            let r = tile.rect
            var points = [r.center]
            // Six pixels either side of each edge: H.264 and 4:2:0 chroma soften an edge over a few pixels.
            points += [(r.x + 6, r.center.y), (r.x + r.width - 7, r.center.y), (r.center.x, r.y + 6), (r.center.x, r.y + r.height - 7)]
            points += [(r.x - 7, r.center.y), (r.x + r.width + 6, r.center.y), (r.center.x, r.y - 7), (r.center.x, r.y + r.height + 6)]
            for (x, y) in points where x >= 0 && y >= 0 && x < 1920 && y < 1080 {
                let want = expected(at: x, y, in: layout, inputs)
                XCTAssertTrue(picture.matches(x, y, want), "frame \(frame), \(tile.sourceId) \(r): at (\(x), \(y)) \(picture.pixel(x, y)), expected \(want)",
                              file: file, line: line)
            }
        }
    }

    private func inputs() throws -> [Input] {
        [
            try Input("room", .roomCamera, 1920, 1080, (255, 0, 0), format: "yuv420p"),
            try Input("screen", .screen, 1280, 1024, (255, 255, 0), format: "rgb24", fps: 15),
            try Input("p1", .participant, 640, 480, (0, 255, 0), format: "nv12", fps: 15),
            try Input("p2", .participant, 1280, 720, (0, 0, 255), format: "yuyv422"),
        ]
    }

    func testEveryLayoutPutsEachColourInItsTile() throws {
        for mode in [StageLayout.Mode.single, .grid, .speaker, .contentBeside, .contentPictureInPicture] {
            let inputs = try inputs()
            let (path, layouts) = try record(inputs, frames: 8, mode: mode, speaker: "p2") { _ in ["room", "screen", "p1", "p2"] }
            XCTAssertEqual(layouts[5].mode, mode)
            let picture = try XCTUnwrap(DecodedPicture.frames([5], of: path)[5])
            assertTiles(of: picture, layouts[5], inputs, frame: 5)
        }
    }

    func testInputsJoiningAndLeavingChangeTheLayoutAtTheirFrame() throws {
        let inputs = try inputs()
        let (path, layouts) = try record(inputs, frames: 90, mode: .grid) { n in
            ["room"] + (n < 60 ? ["p1"] : []) + (n >= 30 ? ["p2"] : [])
        }
        XCTAssertEqual(layouts[29].tiles.map(\.sourceId), ["room", "p1"])
        XCTAssertEqual(layouts[30].tiles.map(\.sourceId), ["room", "p1", "p2"])
        XCTAssertEqual(layouts[60].tiles.map(\.sourceId), ["room", "p2"])
        let pictures = try DecodedPicture.frames([29, 30, 59, 60, 89], of: path)
        for (frame, picture) in pictures { assertTiles(of: picture, layouts[frame], inputs, frame: frame) }
        // Where p2 appears at frame 30 there was background at frame 29.
        let p2 = layouts[30].tile(for: "p2")!.rect.center
        XCTAssertTrue(pictures[29]!.matches(p2.x, p2.y, Self.backgroundRGB), "\(pictures[29]!.pixel(p2.x, p2.y))")
        XCTAssertTrue(pictures[30]!.matches(p2.x, p2.y, (0, 0, 255)))
    }

    func testASourceThatStopsShowsItsLastPictureThenTheSlate() throws {
        let inputs = try inputs()
        let (path, layouts) = try record(inputs, frames: 80, mode: .grid, silent: ["p1"]) { _ in ["room", "p1"] }
        let centre = layouts[0].tile(for: "p1")!.rect.center
        let pictures = try DecodedPicture.frames([40, 67, 75], of: path)
        XCTAssertTrue(pictures[40]!.matches(centre.x, centre.y, (0, 255, 0)), "the last picture stays up: \(pictures[40]!.pixel(centre.x, centre.y))")
        // Its last picture was captured at frame 8 (15 fps): 2 s later, at frame 68, the slate replaces it.
        XCTAssertTrue(pictures[67]!.matches(centre.x, centre.y, (0, 255, 0)), "\(pictures[67]!.pixel(centre.x, centre.y))")
        XCTAssertTrue(pictures[75]!.matches(centre.x, centre.y, Self.slateRGB, tolerance: 12), "the slate: \(pictures[75]!.pixel(centre.x, centre.y))")
    }
}
