/// Where each source of the stage goes on the 1920×1080 canvas: a pure function of who is on stage, so tests
/// check every layout without pixels. Tiles keep their source's aspect ratio (letterboxed inside their cell),
/// sit on even pixel coordinates (4:2:0 chroma), and carry no names (the room platforms' recordings show none).
public struct StageLayout: Equatable, Sendable {
    /// How the stage is arranged.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// Shared content when there is some, else the speaker layout when someone is speaking among several,
        /// else a grid (one source fills the canvas).
        case auto
        /// One source, the first: the shared screen if any, else the room camera.
        case single
        /// The shared screen large, the cameras in a column beside it.
        case contentBeside = "content_beside"
        /// The shared screen over the whole canvas, the room camera small in a corner.
        case contentPictureInPicture = "content_pip"
        /// Every camera in equal cells, up to 25.
        case grid
        /// The active speaker large, the others in a strip below.
        case speaker
    }

    /// What a source is.
    public enum Kind: String, Sendable, Codable {
        case roomCamera = "room_camera"
        case participant
        case screen
    }

    /// A source on stage, as the compositor knows it.
    public struct Source: Equatable, Sendable {
        public var id: String
        public var kind: Kind
        public var width: Int
        public var height: Int

        public init(id: String, kind: Kind, width: Int, height: Int) {
            self.id = id
            self.kind = kind
            self.width = width
            self.height = height
        }
    }

    /// A rectangle on the canvas, in pixels.
    public struct Rect: Equatable, Sendable, CustomStringConvertible {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        public var center: (x: Int, y: Int) { (x + width / 2, y + height / 2) }
        /// The rectangle shrunk by `margin` on every side.
        public func inset(by margin: Int) -> Rect { Rect(x: x + margin, y: y + margin, width: width - 2 * margin, height: height - 2 * margin) }
        public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
        public var description: String { "\(width)x\(height)+\(x)+\(y)" }
    }

    /// One source's place.
    public struct Tile: Equatable, Sendable {
        public var sourceId: String
        /// Where the picture goes (inside its cell, aspect ratio kept).
        public var rect: Rect
    }

    /// Pixels between the pictures of neighbouring cells.
    public static let gap = 16

    /// The most tiles a stage shows (the largest interactive stage of the reference documents).
    public static let maxTiles = 25

    public let canvasWidth: Int
    public let canvasHeight: Int
    /// The layout used (never `auto`).
    public let mode: Mode
    /// Back to front.
    public let tiles: [Tile]

    /// Lays out `sources` (in stage order: the room camera first, then participants as they joined) in `mode`;
    /// `speakerId` is the active speaker, if known.
    public init(sources: [Source], mode requested: Mode, speakerId: String? = nil, canvasWidth: Int = 1920, canvasHeight: Int = 1080) {
        self.canvasWidth = canvasWidth
        self.canvasHeight = canvasHeight
        let screen = sources.first { $0.kind == .screen }
        let cameras = sources.filter { $0.kind != .screen }
        let canvas = Rect(x: 0, y: 0, width: canvasWidth, height: canvasHeight)
        var mode = requested
        if mode == .auto {
            mode = screen != nil ? .contentBeside : (cameras.count > 1 && speakerId != nil ? .speaker : .grid)
        }
        if screen == nil, mode == .contentBeside || mode == .contentPictureInPicture { mode = .grid }
        if mode == .speaker, cameras.count < 2 { mode = .grid }
        self.mode = mode
        func place(_ source: Source, in cell: Rect) -> Tile { Tile(sourceId: source.id, rect: Self.fit(source, in: cell)) }
        // Cells of several tiles keep a gap between pictures.
        func placeInCell(_ source: Source, in cell: Rect) -> Tile { place(source, in: cell.inset(by: Self.gap / 2)) }

        switch mode {
        case .auto:
            tiles = []
        case .single:
            tiles = (screen ?? cameras.first).map { [place($0, in: canvas)] } ?? []
        case .grid:
            tiles = zip(cameras.prefix(Self.maxTiles), Self.gridCells(count: min(cameras.count, Self.maxTiles), in: canvas)).map { placeInCell($0, in: $1) }
        case .speaker:
            let speaker = cameras.first { $0.id == speakerId } ?? cameras[0]
            let others = cameras.filter { $0.id != speaker.id }.prefix(Self.maxTiles - 1)
            let stripHeight = Self.even(canvasHeight / 5)
            let main = Rect(x: 0, y: 0, width: canvasWidth, height: canvasHeight - stripHeight)
            let cellWidth = Self.even(canvasWidth / max(others.count, 5))
            let stripX = Self.even((canvasWidth - cellWidth * others.count) / 2)
            tiles = [place(speaker, in: main)] + others.enumerated().map { index, source in
                placeInCell(source, in: Rect(x: stripX + index * cellWidth, y: canvasHeight - stripHeight, width: cellWidth, height: stripHeight))
            }
        case .contentBeside:
            let columnWidth = Self.even(canvasWidth / 4)
            let content = Rect(x: 0, y: 0, width: canvasWidth - columnWidth, height: canvasHeight)
            let shown = cameras.prefix(4)
            let cellHeight = Self.even(canvasHeight / max(shown.count, 1))
            let columnY = Self.even((canvasHeight - cellHeight * shown.count) / 2)
            tiles = [place(screen!, in: content)] + shown.enumerated().map { index, source in
                placeInCell(source, in: Rect(x: canvasWidth - columnWidth, y: columnY + index * cellHeight, width: columnWidth, height: cellHeight))
            }
        case .contentPictureInPicture:
            let inset = Rect(x: canvasWidth - canvasWidth / 4 - 32, y: canvasHeight - canvasHeight / 4 - 32, width: canvasWidth / 4, height: canvasHeight / 4)
            tiles = [place(screen!, in: canvas)] + (cameras.first.map { [place($0, in: inset)] } ?? [])
        }
    }

    /// The tile of a source, if it is shown.
    public func tile(for sourceId: String) -> Tile? { tiles.first { $0.sourceId == sourceId } }

    /// `count` equal cells in rows of ⌈√count⌉, the last row centred.
    static func gridCells(count: Int, in area: Rect) -> [Rect] {
        guard count > 0 else { return [] }
        var columns = 1
        while columns * columns < count { columns += 1 }
        let rows = (count + columns - 1) / columns
        let cellWidth = even(area.width / columns)
        let cellHeight = even(area.height / rows)
        let top = area.y + even((area.height - cellHeight * rows) / 2)
        return (0..<count).map { index in
            let row = index / columns
            let inRow = row == rows - 1 ? count - row * columns : columns
            let left = area.x + even((area.width - cellWidth * inRow) / 2)
            return Rect(x: left + (index % columns) * cellWidth, y: top + row * cellHeight, width: cellWidth, height: cellHeight)
        }
    }

    /// The largest rectangle of the source's aspect ratio that fits `cell`, centred, on even coordinates.
    static func fit(_ source: Source, in cell: Rect) -> Rect {
        guard source.width > 0, source.height > 0 else { return cell }
        let scale = min(Double(cell.width) / Double(source.width), Double(cell.height) / Double(source.height))
        let width = max(2, min(cell.width, even(Int((Double(source.width) * scale).rounded()))))
        let height = max(2, min(cell.height, even(Int((Double(source.height) * scale).rounded()))))
        return Rect(x: cell.x + even((cell.width - width) / 2), y: cell.y + even((cell.height - height) / 2), width: width, height: height)
    }

    private static func even(_ value: Int) -> Int { value & ~1 }
}
