/// One picture of a network's hierarchy: the input, then each selected layer's feature-map grid in graph
/// order, with its name, shape and receptive field written beside it, so the step from edges to parts can
/// be seen in one scroll. Grids wider than `maximumPictureWidth` are shrunk by an integer factor
/// (box average) as they are added, so the overview stays small whatever the layers.
public struct Overview: Sendable {
    public struct Row: Sendable {
        public var picture: Image
        public var lines: [String]
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
        var canvas = Canvas(width: image.width * scale, height: image.height * scale)
        canvas.blit(image, x: 0, y: 0, scale: scale)
        add(canvas.image, lines: lines)
    }

    /// Adds a row, unless the overview is already full (then only counts it in `omitted`; every later row
    /// is omitted too, so the overview is always a prefix of the layers).
    public mutating func add(_ picture: Image, lines: [String]) {
        let factor = (picture.width + maximumPictureWidth - 1) / maximumPictureWidth
        let height = factor > 1 ? max(1, picture.height / factor) : picture.height
        guard omitted == 0, rows.isEmpty || picturesHeight + height <= maximumHeight else { omitted += 1; return }
        picturesHeight += height + Overview.gap
        rows.append(Row(picture: factor > 1 ? Overview.shrunk(picture, by: factor) : picture, lines: lines))
    }

    /// Each factor × factor block averaged into one pixel (colour channels only, 8-bit out).
    static func shrunk(_ image: Image, by factor: Int) -> Image {
        let w = max(1, image.width / factor), h = max(1, image.height / factor)
        let c = image.channels, colours = image.colorChannels, k = 255 / image.maxValue
        var out = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w {
            var sum: (Float, Float, Float) = (0, 0, 0), n: Float = 0
            for yy in (y * factor)..<min(image.height, (y + 1) * factor) {
                for xx in (x * factor)..<min(image.width, (x + 1) * factor) {
                    let i = (yy * image.width + xx) * c
                    let r = image.samples[i] * k
                    sum.0 += r
                    sum.1 += colours == 3 ? image.samples[i + 1] * k : r
                    sum.2 += colours == 3 ? image.samples[i + 2] * k : r
                    n += 1
                }
            }
            let o = (y * w + x) * 3
            out[o] = (sum.0 / n).rounded(); out[o + 1] = (sum.1 / n).rounded(); out[o + 2] = (sum.2 / n).rounded()
        } }
        return Image(width: w, height: h, channels: 3, bitDepth: 8, samples: out)
    }

    public func draw() throws -> (canvas: Canvas, layout: Layout) {
        let font = BitmapFont.standard
        let m = Overview.margin, titleH = font.height(of: title, scale: 2)
        let top = m + titleH + Overview.gap
        let heights = rows.map { max($0.picture.height, font.height(of: $0.lines.joined(separator: "\n"))) }
        let width = max(2 * m + font.width(of: title, scale: 2),
                        m + Overview.textWidth + (rows.map(\.picture.width).max() ?? 0) + m)
        let height = top + heights.reduce(0, +) + Overview.gap * max(0, rows.count - 1) + m
        try Canvas.checkSize("overview", width: width, height: height)
        var canvas = Canvas(width: width, height: height)
        canvas.text(title, x: m, y: m, color: .black, scale: 2)
        var layout = Layout(width: width, height: height, pictures: [], texts: [])
        var y = top
        for (i, row) in rows.enumerated() {
            if i > 0 { canvas.fillRect(x: m, y: y - Overview.gap / 2, width: width - 2 * m, height: 1, color: RGB(grey: 200)) }
            let text = PixelPoint(x: m, y: y + 2)
            for (j, line) in row.lines.enumerated() {
                canvas.text(line, x: text.x, y: text.y + j * font.lineHeight, color: .black)
            }
            let rect = PixelRect(x: m + Overview.textWidth, y: y, width: row.picture.width, height: row.picture.height)
            canvas.blit(row.picture, x: rect.x, y: rect.y)
            layout.pictures.append(rect)
            layout.texts.append(text)
            y += heights[i] + Overview.gap
        }
        return (canvas, layout)
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
