/// One picture of a network's hierarchy: the input, then each selected layer's feature-map grid in graph
/// order, with its name, shape and receptive field written beside it, so the step from edges to parts can
/// be seen in one scroll. Grids wider than `maximumPictureWidth` are shown shrunk by an integer factor
/// (a scaled copy of their drawing: box-filtered in the PNG, still vector in SVG and PDF), so the overview
/// stays small whatever the layers.
public struct Overview: Sendable {
    public struct Row: Sendable {
        public var picture: Drawing
        /// The picture is drawn 1/shrink of its size.
        public var shrink: Int
        public var lines: [String]
        /// Size on the overview.
        public var width: Int { picture.width / shrink }
        public var height: Int { max(1, picture.height / shrink) }
    }

    public private(set) var rows: [Row] = []
    public var title: String
    public var maximumPictureWidth: Int
    /// Rows stop being added once the pictures reach this height (a network of 300 layers would make a
    /// picture 100,000 pixels tall, which no viewer scrolls through); `omitted` counts the rest.
    public var maximumHeight: Int
    public private(set) var omitted = 0
    private var picturesHeight = 0

    /// Where everything went.
    public struct Layout: Sendable {
        public var width: Int, height: Int
        public var pictures: [PixelRect]
        public var texts: [PixelPoint]
    }

    static let margin = 8
    static let textWidth = 230
    static let gap = 12

    public init(title: String, maximumPictureWidth: Int = 900, maximumHeight: Int = 30_000) {
        self.title = title
        self.maximumPictureWidth = max(16, maximumPictureWidth)
        self.maximumHeight = maximumHeight
    }

    /// Adds the network input, enlarged (nearest neighbour) to at least 112 pixels on its longer side.
    public mutating func addInput(_ image: Image, lines: [String]) {
        let side = max(image.width, image.height, 1)
        let scale = max(1, 112 / side)
        var drawing = Drawing(width: image.width * scale, height: image.height * scale)
        drawing.blit(image, x: 0, y: 0, scale: scale)
        add(drawing, lines: lines)
    }

    /// Adds a finished picture that is only pixels.
    public mutating func add(_ picture: Image, lines: [String]) {
        add(Drawing(picture), lines: lines)
    }

    /// Adds a picture already rendered (a grid drawn once for its own PNG), its bytes as they are.
    public mutating func add(_ picture: Canvas, lines: [String]) {
        var drawing = Drawing(width: picture.width, height: picture.height)
        drawing.blit(Raster(picture), x: 0, y: 0)
        add(drawing, lines: lines)
    }

    /// Adds a row, unless the overview is already full (then only counts it in `omitted`; every later row
    /// is omitted too, so the overview is always a prefix of the layers).
    public mutating func add(_ picture: Drawing, lines: [String]) {
        let row = Row(picture: picture, shrink: max(1, (picture.width + maximumPictureWidth - 1) / maximumPictureWidth),
                      lines: lines)
        guard omitted == 0, rows.isEmpty || picturesHeight + row.height <= maximumHeight else { omitted += 1; return }
        picturesHeight += row.height + Overview.gap
        rows.append(row)
    }

    public func draw() throws -> (drawing: Drawing, layout: Layout) {
        let font = Typeface.body
        let m = Overview.margin, titleH = Typeface.title.height(of: title)
        let top = m + titleH + Overview.gap
        let heights = rows.map { max($0.height, font.height(of: $0.lines.joined(separator: "\n"))) }
        let width = max(2 * m + Typeface.title.width(of: title),
                        m + Overview.textWidth + (rows.map(\.width).max() ?? 0) + m)
        let height = top + heights.reduce(0, +) + Overview.gap * max(0, rows.count - 1) + m
        try Canvas.checkSize("overview", width: width, height: height)
        var drawing = Drawing(width: width, height: height)
        drawing.text(title, x: m, y: m, color: .black, font: .title)
        var layout = Layout(width: width, height: height, pictures: [], texts: [])
        var y = top
        for (i, row) in rows.enumerated() {
            if i > 0 { drawing.fillRect(x: m, y: y - Overview.gap / 2, width: width - 2 * m, height: 1, color: RGB(grey: 200)) }
            let text = PixelPoint(x: m, y: y + 2)
            for (j, line) in row.lines.enumerated() {
                drawing.text(line, x: text.x, y: text.y + j * font.lineHeight, color: .black)
            }
            let rect = PixelRect(x: m + Overview.textWidth, y: y, width: row.width, height: row.height)
            drawing.place(row.picture, x: rect.x, y: rect.y, scale: 1 / Double(row.shrink))
            layout.pictures.append(rect)
            layout.texts.append(text)
            y += heights[i] + Overview.gap
        }
        return (drawing, layout)
    }

    /// The lines written beside a layer: name and operator, shape, and its receptive field.
    public static func lines(name: String, op: String, shape: [Int], field: LayerField?) -> [String] {
        var lines = [name, op, shape.map(String.init).joined(separator: "×")]
        switch field {
        case .spatial(let f)?:
            lines.append(f.size.y == f.size.x ? "RF \(f.size.y)×\(f.size.x) px" : "RF \(f.size.y)×\(f.size.x) px")
            lines.append(f.jump.y == f.jump.x ? "stride \(f.jump.y)" : "stride \(f.jump.y),\(f.jump.x)")
        case .notAligned?: lines.append("RF: not aligned")
        case .irregular?: lines.append("RF: irregular")
        default: break
        }
        return lines
    }
}
