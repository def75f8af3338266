/// Pooling before and after, for one plane per row: on the left the input (padding hatched) with every
/// pooling window outlined (when windows overlap: the grid of window starts and two whole windows) and, for max pooling, the winning cell of each window framed in red; on the
/// right the pooled output drawn on the same grid, each output cell placed where its window starts and
/// stride × stride input cells large, so that with stride = size every output cell covers its window.
/// Both sides share one grey scale per plane, so a pooled value has the same shade as the cell it came from.
public enum PoolingPicture {
    /// One plane of the picture: what was pooled and what came out.
    public struct Row: Sendable {
        public var label: String
        /// [H, W] values.
        public var input: [Float]
        /// [Ho, Wo] values.
        public var output: [Float]
        /// For max pooling, per output cell, the input cell (y·W + x) that won; empty otherwise.
        public var winners: [Int?]
        /// Output cells outlined in green (the ones a shift left unchanged).
        public var highlighted: Set<Int>

        public init(label: String, input: [Float], output: [Float], winners: [Int?] = [], highlighted: Set<Int> = []) {
            self.label = label; self.input = input; self.output = output; self.winners = winners; self.highlighted = highlighted
        }
    }

    /// Where things were drawn, for tests and further marks.
    public struct Layout: Sendable {
        public var width: Int, height: Int
        /// Pixels per input cell.
        public var scale: Int
        /// Per row, the canvas position of input cell (0, 0) on the left and of the same grid point on the right.
        public var inputOrigins: [PixelPoint]
        public var outputOrigins: [PixelPoint]
        /// Per row and output cell (row-major): its window on the left, its cell on the right, its winner's cell.
        public var windows: [[PixelRect]]
        public var outputCells: [[PixelRect]]
        public var winnerCells: [[PixelRect?]]
    }

    /// Whether neighbouring windows share cells (stride smaller than the window's span on an axis).
    public static func overlaps(_ p: Pooling) -> Bool {
        p.stride.y < p.dilation.y * (p.kernel.y - 1) + 1 || p.stride.x < p.dilation.x * (p.kernel.x - 1) + 1
    }

    public static let windowColors = (RGB(0, 150, 255), RGB(255, 170, 0))
    public static let winnerColor = RGB(230, 0, 0)
    public static let unchangedColor = RGB(0, 200, 0)
    static let margin = 8

    /// Rows are laid out `columns` to a line; each side of a row is at most about `panelSide` pixels.
    public static func draw(rows: [Row], height h: Int, width w: Int, pooling: Pooling, title: String, caption: String,
                            columns: Int = 1, panelSide: Int = 360) throws -> (drawing: Drawing, layout: Layout) {
        let out = try pooling.outputSize(height: h, width: w)
        guard !rows.isEmpty, rows.allSatisfy({ $0.input.count == h * w && $0.output.count == out.y * out.x }) else {
            throw RenderError.shapeMismatch("each pooling row needs \(h)×\(w) inputs and \(out.y)×\(out.x) outputs")
        }
        let (k, s, p) = (pooling.kernel, pooling.stride, pooling.padding)
        let span = Pair(pooling.dilation.y * (k.y - 1) + 1, pooling.dilation.x * (k.x - 1) + 1)
        // The grid covers the padding and every window, also the last ones of ceil mode.
        let lo = Pair(-p.top, -p.left)
        let hi = Pair(max(h + p.bottom, (out.y - 1) * s.y - p.top + max(span.y, s.y)),
                      max(w + p.right, (out.x - 1) * s.x - p.left + max(span.x, s.x)))
        let extent = Pair(hi.y - lo.y, hi.x - lo.x)
        let scale = max(1, min(32, panelSide / max(extent.y, extent.x)))
        let panelW = extent.x * scale, panelH = extent.y * scale
        let font = Typeface.body, titleFont = Typeface.title
        let titleH = titleFont.height(of: title), captionH = font.height(of: caption)
        let headerH = font.lineHeight + 2
        let top = margin + titleH + 6 + captionH + 10
        let rowH = headerH + panelH + 12
        let gap = 24
        let labelWidth = (rows.map { font.width(of: $0.label) }.max() ?? 0) + 12
        let perLine = max(1, min(columns, rows.count))
        let blockW = labelWidth + 2 * panelW + gap
        let width = max(margin + perLine * blockW + (perLine - 1) * gap + margin, 2 * margin + titleFont.width(of: title),
                        2 * margin + font.width(of: caption))
        let height = top + ((rows.count + perLine - 1) / perLine) * rowH + margin
        try Canvas.checkSize("pooling picture", width: width, height: height)
        var drawing = Drawing(width: width, height: height)
        drawing.text(title, x: margin, y: margin, color: .black, font: titleFont)
        drawing.text(caption, x: margin, y: margin + titleH + 6, color: .black)
        var layout = Layout(width: width, height: height, scale: scale, inputOrigins: [], outputOrigins: [],
                            windows: [], outputCells: [], winnerCells: [])
        let showGrid = min(span.y, span.x, s.y, s.x) * scale >= 4
        let overlapping = PoolingPicture.overlaps(pooling)
        let hatch = (RGB(grey: 225), RGB(grey: 170))
        for (r, row) in rows.enumerated() {
            let y0 = top + (r / perLine) * rowH
            let leftX = margin + (r % perLine) * (blockW + gap) + labelWidth, rightX = leftX + panelW + gap
            let panelY = y0 + headerH
            drawing.text(row.label, x: leftX - labelWidth, y: panelY + max(0, (panelH - font.height(of: row.label)) / 2), color: .black)
            drawing.text("input \(h)×\(w)" + (p.isZero ? "" : ", padding hatched"), x: leftX, y: y0, color: .black)
            drawing.text("pooled \(out.y)×\(out.x)", x: rightX, y: y0, color: .black)
            let origin = PixelPoint(x: leftX - lo.x * scale, y: panelY - lo.y * scale)
            let outOrigin = PixelPoint(x: rightX - lo.x * scale, y: panelY - lo.y * scale)
            drawing.hatchRect(x: leftX, y: panelY, width: panelW, height: panelH, background: hatch.0, lines: hatch.1)
            drawing.fillRect(x: rightX, y: panelY, width: panelW, height: panelH, color: RGB(grey: 240))
            let range = ValueRange.finiteExtent(of: row.input + row.output) ?? ValueRange(low: 0, high: 0)
            drawing.blit(map: row.input, width: w, height: h, x: origin.x, y: origin.y, scale: scale, colormap: .grey, range: range)
            var windows: [PixelRect] = [], cells: [PixelRect] = [], wins: [PixelRect?] = []
            let cellSize = Pair(min(s.y, span.y), min(s.x, span.x))
            for oy in 0..<out.y {
                for ox in 0..<out.x {
                    let i = oy * out.x + ox
                    let wy = oy * s.y - p.top, wx = ox * s.x - p.left
                    windows.append(PixelRect(x: origin.x + wx * scale, y: origin.y + wy * scale, width: span.x * scale, height: span.y * scale))
                    let cell = PixelRect(x: outOrigin.x + wx * scale, y: outOrigin.y + wy * scale,
                                         width: cellSize.x * scale, height: cellSize.y * scale)
                    cells.append(cell)
                    let v = row.output[i]
                    let t = v * range.affine.scale + range.affine.offset
                    drawing.fillRect(cell, color: v.isNaN ? .magenta : Colormap.grey.rgb(at: t))
                    if let win = i < row.winners.count ? row.winners[i] : nil {
                        wins.append(PixelRect(x: origin.x + (win % w) * scale, y: origin.y + (win / w) * scale, width: scale, height: scale))
                    } else {
                        wins.append(nil)
                    }
                }
            }
            if showGrid && overlapping {
                // Overlapping windows would cover every pixel with outlines: draw the grid of window starts
                // instead, and two whole windows (the first and the middle one) so their size shows.
                for rect in windows {
                    drawing.fillRect(x: rect.x, y: rect.y, width: s.x * scale, height: 1, color: windowColors.0)
                    drawing.fillRect(x: rect.x, y: rect.y, width: 1, height: s.y * scale, color: windowColors.0)
                }
                // In a fixed order (never a Set's, which changes from process to process): where strokes
                // overlap, the order of their antialiased edges changes pixels by a level.
                for i in Set([0, (out.y / 2) * out.x + out.x / 2]).sorted() where i < windows.count {
                    drawing.strokeRect(windows[i], color: windowColors.1, thickness: 2)
                }
                for cell in cells { drawing.strokeRect(cell, color: RGB(grey: 90)) }
            } else if showGrid {
                for (i, rect) in windows.enumerated() {
                    let parity = (i / out.x + i % out.x) % 2 == 0
                    drawing.strokeRect(rect, color: parity ? windowColors.0 : windowColors.1)
                }
                for cell in cells { drawing.strokeRect(cell, color: RGB(grey: 90)) }
            }
            for i in row.highlighted.sorted() where i < cells.count {
                drawing.strokeRect(cells[i], color: unchangedColor, thickness: max(1, scale / 6))
            }
            if scale >= 3 {
                for case let rect? in wins { drawing.strokeRect(rect, color: winnerColor, thickness: max(1, scale / 8)) }
            }
            layout.inputOrigins.append(origin)
            layout.outputOrigins.append(outOrigin)
            layout.windows.append(windows)
            layout.outputCells.append(cells)
            layout.winnerCells.append(wins)
        }
        return (drawing, layout)
    }

    /// The before/after picture of a pooling layer of a network: its input feature maps against its output,
    /// one pair per channel, four pairs to a line, the first `maximumChannels` channels.
    public static func layer(input: Tensor, output: Tensor, pooling: Pooling, title: String,
                             maximumChannels: Int = 16) throws -> Drawing {
        guard let (c, h, w) = input.planeShape, let (oc, oh, ow) = output.planeShape, oc == c else {
            throw RenderError.shapeMismatch("a pooling view needs [C, H, W] input and output with the same channels; got \(input.shape) and \(output.shape)")
        }
        let shown = min(c, max(1, maximumChannels))
        var rows: [Row] = []
        for ch in 0..<shown {
            let plane = input.storage[(ch * h * w)..<((ch + 1) * h * w)]
            let winners = pooling.kind == .max ? try pooling.winners(plane: plane, height: h, width: w, skippingTies: true) : []
            rows.append(Row(label: "c\(ch)", input: Array(plane), output: Array(output.storage[(ch * oh * ow)..<((ch + 1) * oh * ow)]),
                            winners: winners))
        }
        var caption = "per channel: input maps with the \(pooling.kernel.y)×\(pooling.kernel.x) windows (stride \(pooling.stride.y)"
            + (overlaps(pooling) ? "; lines mark window starts, orange = two whole windows)" : ")")
        if pooling.kind == .max { caption += ", red = winning cell" }
        caption += "; pooled maps beside them"
        if shown < c { caption += "\nshowing channels 0 to \(shown - 1) of \(c)" }
        return try draw(rows: rows, height: h, width: w, pooling: pooling, title: title, caption: caption,
                        columns: 4, panelSide: 160).drawing
    }
}
