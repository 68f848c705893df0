import RecorderCore
import XCTest

final class StageLayoutTests: XCTestCase {
    private typealias Source = StageLayout.Source
    private let room = Source(id: "room", kind: .roomCamera, width: 1920, height: 1080)
    private let screen = Source(id: "screen", kind: .screen, width: 1280, height: 1024)
    private func people(_ count: Int) -> [Source] { (0..<count).map { Source(id: "p\($0)", kind: .participant, width: 1280, height: 720) } }

    /// Every tile on the canvas, on even coordinates, keeping its source's aspect ratio, and no two overlapping
    /// (except a picture-in-picture inset over the content).
    private func assertWellFormed(_ layout: StageLayout, _ sources: [Source], file: StaticString = #filePath, line: UInt = #line) {
        for tile in layout.tiles {
            let r = tile.rect
            XCTAssertTrue(r.x >= 0 && r.y >= 0 && r.x + r.width <= 1920 && r.y + r.height <= 1080, "\(r) on the canvas", file: file, line: line)
            XCTAssertTrue([r.x, r.y, r.width, r.height].allSatisfy { $0 % 2 == 0 }, "\(r) even", file: file, line: line)
            let source = sources.first { $0.id == tile.sourceId }!
            let aspect = Double(source.width) / Double(source.height)
            XCTAssertEqual(Double(r.width) / Double(r.height), aspect, accuracy: aspect * 0.02, "\(tile.sourceId) keeps its aspect", file: file, line: line)
        }
        guard layout.mode != .contentPictureInPicture else { return }
        for (i, a) in layout.tiles.enumerated() {
            for b in layout.tiles[(i + 1)...] {
                let overlap = a.rect.x < b.rect.x + b.rect.width && b.rect.x < a.rect.x + a.rect.width
                    && a.rect.y < b.rect.y + b.rect.height && b.rect.y < a.rect.y + a.rect.height
                XCTAssertFalse(overlap, "\(a) and \(b) overlap", file: file, line: line)
            }
        }
    }

    func testOneSourceFillsTheCanvas() {
        let layout = StageLayout(sources: [room], mode: .auto)
        XCTAssertEqual(layout.mode, .grid)
        XCTAssertEqual(layout.tiles.map(\.rect), [StageLayout.Rect(x: 14, y: 8, width: 1892, height: 1064)], "inside an 8-pixel margin")
        let single = StageLayout(sources: [room] + people(3), mode: .single)
        XCTAssertEqual(single.tiles.map(\.sourceId), ["room"])
        XCTAssertEqual(single.tiles[0].rect, StageLayout.Rect(x: 0, y: 0, width: 1920, height: 1080))
    }

    func testAFourByThreeCameraIsPillarboxed() {
        let camera = Source(id: "old", kind: .roomCamera, width: 640, height: 480)
        let rect = StageLayout(sources: [camera], mode: .single).tiles[0].rect
        XCTAssertEqual(rect, StageLayout.Rect(x: 240, y: 0, width: 1440, height: 1080))
    }

    func testGridsUpToTwentyFiveTiles() {
        for count in 1...27 {
            let sources = [room] + people(count - 1)
            let layout = StageLayout(sources: sources, mode: .grid)
            XCTAssertEqual(layout.tiles.count, min(count, 25), "\(count) sources")
            assertWellFormed(layout, sources)
        }
        // Four sources: a 2×2 grid of 960×540 cells.
        let four = StageLayout(sources: [room] + people(3), mode: .grid)
        for (tile, (x, y)) in zip(four.tiles, [(480, 270), (1440, 270), (480, 810), (1440, 810)]) {
            XCTAssertEqual(Double(tile.rect.center.x), Double(x), accuracy: 2)
            XCTAssertEqual(Double(tile.rect.center.y), Double(y), accuracy: 2)
        }
        // Three: two on top, the last centred below.
        let three = StageLayout(sources: [room] + people(2), mode: .grid)
        XCTAssertEqual(Double(three.tiles[2].rect.center.x), 960, accuracy: 2)
    }

    func testContentBesideAndPictureInPicture() {
        let sources = [room, screen] + people(2)
        let beside = StageLayout(sources: sources, mode: .auto)
        XCTAssertEqual(beside.mode, .contentBeside, "shared content comes first when there is some")
        XCTAssertEqual(beside.tiles.first?.sourceId, "screen")
        XCTAssertLessThan(beside.tile(for: "screen")!.rect.x + beside.tile(for: "screen")!.rect.width, 1440 + 1)
        XCTAssertTrue(["room", "p0", "p1"].allSatisfy { beside.tile(for: $0)!.rect.x >= 1440 }, "cameras in the column")
        assertWellFormed(beside, sources)

        let pip = StageLayout(sources: sources, mode: .contentPictureInPicture)
        XCTAssertEqual(pip.tiles.map(\.sourceId), ["screen", "room"], "the room camera over the content")
        XCTAssertGreaterThan(pip.tile(for: "room")!.rect.x, 1400)
        XCTAssertGreaterThan(pip.tile(for: "room")!.rect.y, 760)
        assertWellFormed(pip, sources)
        XCTAssertEqual(StageLayout(sources: [room], mode: .contentPictureInPicture).mode, .grid, "no content: a grid")
    }

    func testTheSpeakerLargeAndTheOthersInAStrip() {
        let sources = [room] + people(4)
        let layout = StageLayout(sources: sources, mode: .auto, speakerId: "p2")
        XCTAssertEqual(layout.mode, .speaker)
        XCTAssertEqual(layout.tiles.first?.sourceId, "p2")
        let main = layout.tiles[0].rect
        XCTAssertGreaterThan(main.width * main.height, 1920 * 1080 / 2)
        XCTAssertTrue(layout.tiles.dropFirst().allSatisfy { $0.rect.y >= 864 }, "the others below")
        XCTAssertEqual(Set(layout.tiles.map(\.sourceId)), Set(sources.map(\.id)))
        assertWellFormed(layout, sources)
        XCTAssertEqual(StageLayout(sources: [room] + people(2), mode: .auto).mode, .grid, "no one speaking: a grid")
    }
}
