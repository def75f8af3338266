/// The learned filters of a convolution layer, weights [outC, inC, kh, kw].
///
/// - inC == 3 (a first layer on RGB input): each filter is one colour tile, its three planes read as
///   R, G, B. As in the classic AlexNet first-layer figure (Krizhevsky et al. 2012) each filter is
///   stretched over its own min..max to 0...255, so a filter's hue and pattern show even when its
///   weights are small; grey 128 marks a constant filter. Strengths cannot be compared across tiles.
/// - otherwise: one row per filter, one column per input channel, each kernel drawn with the
///   diverging map centred on zero, one ±max|w| range for the whole layer so cells can be compared.
///   At most `maximumRows` filters and `maximumColumns` input channels are shown; a note says so.
public enum FilterGrid {
    public enum Mode: Sendable, Equatable { case color, channels }

    public struct Layout: Sendable, Equatable {
        public var mode: Mode
        public var width: Int
        public var height: Int
        public var scale: Int
        public var shownFilters: Int
        public var shownInputs: Int
        /// cells[f][i]: filter f, input channel i (one entry per filter in colour mode).
        public var cells: [[PixelRect]]
    }

    public static let maximumRows = 32
    public static let maximumColumns = 16
    public static let maximumColorFilters = 256

    public static func render(weights: Tensor, title: String) throws -> Image {
        try draw(weights: weights, title: title).drawing.image()
    }

    public static func draw(weights: Tensor, title: String) throws -> (drawing: Drawing, layout: Layout) {
        guard weights.rank == 4, weights.shape.allSatisfy({ $0 > 0 }) else {
            throw RenderError.shapeMismatch("filter weights must be [outC, inC, kh, kw] with every size ≥ 1, "
                + "got \(weights.shape); pass a convolution layer's weight tensor")
        }
        return weights.shape[1] == 3 ? try colorGrid(weights, title: title) : try channelGrid(weights, title: title)
    }

    static let margin = 8
    /// The strip above each colour tile that holds its index.
    static var strip: Int { Typeface.small.lineHeight }

    static func header(_ title: String, _ caption: String) -> (captionY: Int, gridY: Int) {
        let captionY = margin + Typeface.title.height(of: title) + 6
        return (captionY, captionY + Typeface.body.height(of: caption) + 8)
    }

    static func colorGrid(_ weights: Tensor, title: String) throws -> (drawing: Drawing, layout: Layout) {
        let font = Typeface.body, titleFont = Typeface.title
        let (outC, kh, kw) = (weights.shape[0], weights.shape[2], weights.shape[3])
        let shown = min(outC, maximumColorFilters)
        let scale = max(1, min(16, (40 + max(kh, kw) - 1) / max(kh, kw)))
        let columns = Int(Double(shown).squareRoot().rounded(.up)), rows = (shown + columns - 1) / columns
        let pad = 2, cellW = kw * scale, cellH = kh * scale
        let gridW = pad + columns * (cellW + pad), gridH = pad + rows * (strip + cellH + pad)
        let titleText = "\(title)  \(outC)×3×\(kh)×\(kw)"
        var caption = "colour filters: each filter's R,G,B weights stretched from its own min..max to 0..255"
        if shown < outC { caption += "\nshowing filters 0 to \(shown - 1) of \(outC)" }
        let (captionY, gridY) = header(titleText, caption)
        let contentW = max(gridW, titleFont.width(of: titleText), font.width(of: caption))
        try Canvas.checkSize("filter grid", width: contentW + 2 * margin, height: gridY + gridH + margin)
        var drawing = Drawing(width: contentW + 2 * margin, height: gridY + gridH + margin)
        drawing.text(titleText, x: margin, y: margin, color: .black, font: titleFont)
        drawing.text(caption, x: margin, y: captionY, color: .black)
        let padColor = RGB(grey: 48)
        drawing.fillRect(x: margin, y: gridY, width: gridW, height: gridH, color: padColor)
        let plane = kh * kw, size = 3 * plane
        var cells: [[PixelRect]] = []
        for f in 0..<shown {
            let filter = Array(weights.storage[f * size..<(f + 1) * size])
            let extent = ValueRange.finiteExtent(of: filter) ?? ValueRange(low: 0, high: 0)
            let (a, b) = extent.affine
            var samples = [Float](repeating: 0, count: size)
            for p in 0..<plane {
                for k in 0..<3 {
                    let v = filter[k * plane + p]
                    samples[p * 3 + k] = v.isNaN ? (k == 1 ? 0 : 255) : min(255, max(0, (v * a + b) * 255))
                }
            }
            let tile = Image(width: kw, height: kh, channels: 3, bitDepth: 8, samples: samples)
            let col = f % columns, row = f / columns
            let x0 = margin + pad + col * (cellW + pad), y0 = gridY + pad + row * (strip + cellH + pad)
            drawing.text(String(f), x: x0 + 1, y: y0, color: padColor.contrastingText, font: .small)
            let rect = PixelRect(x: x0, y: y0 + strip, width: cellW, height: cellH)
            drawing.blit(tile, x: rect.x, y: rect.y, scale: scale)
            cells.append([rect])
        }
        let layout = Layout(mode: .color, width: drawing.width, height: drawing.height, scale: scale,
                            shownFilters: shown, shownInputs: 3, cells: cells)
        return (drawing, layout)
    }

    static func channelGrid(_ weights: Tensor, title: String) throws -> (drawing: Drawing, layout: Layout) {
        let font = Typeface.body, titleFont = Typeface.title
        let (outC, inC, kh, kw) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        let rows = min(outC, maximumRows), columns = min(inC, maximumColumns)
        let scale = max(1, min(16, (24 + max(kh, kw) - 1) / max(kh, kw)))
        let gap = 2, cellW = kw * scale, cellH = kh * scale
        let colormap = Colormap.diverging
        let range = (ValueRange.finiteExtent(of: weights.storage) ?? ValueRange(low: 0, high: 0)).symmetric
        let rowLabelW = font.width(of: "f\(rows - 1)") + 4
        let columnHeader = Typeface.small.lineHeight
        let gridW = rowLabelW + gap + columns * (cellW + gap), gridH = columnHeader + gap + rows * (cellH + gap)
        let titleText = "\(title)  \(outC)×\(inC)×\(kh)×\(kw)"
        var caption = "rows: filters f, columns: input channels c; colours: \(colormap.name), 0 at centre, "
            + "one ±max|w| range for the layer"
        if rows < outC || columns < inC {
            caption += "\nshowing \(rows) of \(outC) filters and \(columns) of \(inC) input channels"
        }
        let (captionY, gridY) = header(titleText, caption)
        let barY = gridY + gridH + 10, barW = max(160, min(gridW, 320))
        let contentW = max(gridW, barW, titleFont.width(of: titleText), font.width(of: caption))
        try Canvas.checkSize("filter grid", width: contentW + 2 * margin, height: barY + ColorBar.height + margin)
        var drawing = Drawing(width: contentW + 2 * margin, height: barY + ColorBar.height + margin)
        drawing.text(titleText, x: margin, y: margin, color: .black, font: titleFont)
        drawing.text(caption, x: margin, y: captionY, color: .black)
        let x0 = margin + rowLabelW + gap, y0 = gridY + columnHeader + gap
        drawing.fillRect(x: x0 - gap, y: y0 - gap, width: columns * (cellW + gap) + gap,
                        height: rows * (cellH + gap) + gap, color: RGB(grey: 160))
        for c in 0..<columns where columns <= 8 || c % 2 == 0 || cellW >= 14 {
            drawing.text("c\(c)", x: x0 + c * (cellW + gap), y: gridY, color: .black, font: .small)
        }
        let plane = kh * kw
        var cells: [[PixelRect]] = []
        weights.storage.withUnsafeBufferPointer { all in
            for f in 0..<rows {
                let y = y0 + f * (cellH + gap)
                drawing.text("f\(f)", centredIn: PixelRect(x: margin, y: y, width: rowLabelW - 4, height: cellH), color: .black)
                var row: [PixelRect] = []
                for c in 0..<columns {
                    let start = (f * inC + c) * plane
                    let rect = PixelRect(x: x0 + c * (cellW + gap), y: y, width: cellW, height: cellH)
                    drawing.blit(map: UnsafeBufferPointer(rebasing: all[start..<start + plane]), width: kw, height: kh,
                                x: rect.x, y: rect.y, scale: scale, colormap: colormap, range: range)
                    row.append(rect)
                }
                cells.append(row)
            }
        }
        ColorBar.draw(on: &drawing, x: margin, y: barY, width: barW, colormap: colormap,
                      low: NumberText.short(range.low), high: NumberText.short(range.high), middle: "0")
        let layout = Layout(mode: .channels, width: drawing.width, height: drawing.height, scale: scale,
                            shownFilters: rows, shownInputs: columns, cells: cells)
        return (drawing, layout)
    }
}
