/// All channels of a [C, H, W] tensor tiled in one picture, like torchvision's `make_grid`, with
/// what a reader needs to interpret it: a channel index above each cell, a title with the shape,
/// a caption saying what the colours mean, and a colour bar with the value range at its ends.
///
/// Picture layout, top to bottom: margin, title (font ×2), caption, grid, colour bar, margin.
/// Each grid tile is a label strip (10 px) over the enlarged map; tiles are `padding` apart.
public enum FeatureGrid {
    /// Where everything went, so other pictures can mark units inside cells.
    public struct Layout: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var channels: Int
        public var mapWidth: Int
        public var mapHeight: Int
        /// Each map pixel becomes a scale × scale block.
        public var scale: Int
        public var columns: Int
        public var rows: Int
        /// The grid area, padding included (filled with the pad colour).
        public var grid: PixelRect
        /// Per channel, the rectangle of the enlarged map (label strip excluded).
        public var cells: [PixelRect]
        /// Per channel, the top-left of its index label (empty when labels are off).
        public var labelOrigins: [PixelPoint]
        public var titleOrigin: PixelPoint
        public var captionOrigin: PixelPoint
        public var colorBar: PixelRect?

        /// Top-left pixel of the map of `channel`.
        public func cellOrigin(_ channel: Int) -> PixelPoint { cells[channel].origin }

        /// The block that shows map pixel (x, y) of `channel`.
        public func block(channel: Int, x: Int, y: Int) -> PixelRect {
            let c = cells[channel]
            return PixelRect(x: c.x + x * scale, y: c.y + y * scale, width: scale, height: scale)
        }
    }

    /// The strip above each map that holds its channel index.
    static var labelStrip: Int { Typeface.small.lineHeight }

    public static func render(_ maps: Tensor, title: String, options: FeatureGridOptions = .init()) throws -> Image {
        try draw(maps, title: title, options: options).drawing.image()
    }

    public static func layout(for maps: Tensor, title: String, options: FeatureGridOptions = .init()) throws -> Layout {
        try plan(maps, title: title, options: options).layout
    }

    /// The picture as a canvas (for further marks) together with its layout.
    public static func draw(_ maps: Tensor, title: String,
                            options: FeatureGridOptions = .init()) throws -> (drawing: Drawing, layout: Layout) {
        let p = try plan(maps, title: title, options: options)
        let L = p.layout
        let font = Typeface.body
        var drawing = Drawing(width: L.width, height: L.height, background: options.background)
        drawing.text(p.titleText, x: L.titleOrigin.x, y: L.titleOrigin.y, color: options.textColor, font: .title)
        drawing.text(p.captionText, x: L.captionOrigin.x, y: L.captionOrigin.y, color: options.textColor)
        drawing.fillRect(L.grid, color: options.padColor)
        let plane = L.mapWidth * L.mapHeight
        maps.storage.withUnsafeBufferPointer { all in
            for c in 0..<L.channels {
                let values = UnsafeBufferPointer(rebasing: all[c * plane..<(c + 1) * plane])
                let cell = L.cells[c]
                drawing.blit(map: values, width: L.mapWidth, height: L.mapHeight, x: cell.x, y: cell.y,
                            scale: L.scale, colormap: p.colormap, range: p.ranges[c], nanColor: options.nanColor)
            }
        }
        let labelColor = options.padColor.contrastingText
        // A label wider than its cell would run into the neighbour's; such grids go without.
        for (c, origin) in L.labelOrigins.enumerated() where Typeface.small.width(of: String(c)) <= L.cells[c].width - 1 {
            drawing.text(String(c), x: origin.x, y: origin.y, color: labelColor, font: .small)
        }
        if let bar = L.colorBar {
            ColorBar.draw(on: &drawing, x: bar.x, y: bar.y, width: bar.width, colormap: p.colormap,
                          low: p.barLow, high: p.barHigh, middle: p.colormap.isDiverging ? "0" : nil,
                          text: options.textColor)
            var x = bar.maxX + 12
            if let note = p.barNote {
                drawing.text(note, x: x, y: bar.y, color: options.textColor)
                x += font.width(of: note) + 12
            }
            if p.hasNaN {
                drawing.fillRect(x: x, y: bar.y, width: ColorBar.barHeight, height: ColorBar.barHeight,
                                color: options.nanColor)
                drawing.text("NaN", x: x + ColorBar.barHeight + 4, y: bar.y, color: options.textColor)
            }
        }
        return (drawing, L)
    }

    struct Plan {
        var layout: Layout
        var colormap: Colormap
        var ranges: [ValueRange]
        var titleText: String
        var captionText: String
        var barLow: String
        var barHigh: String
        var barNote: String?
        var hasNaN: Bool
    }

    static func plan(_ maps: Tensor, title: String, options: FeatureGridOptions) throws -> Plan {
        guard let (channels, h, w) = maps.planeShape, channels > 0, h > 0, w > 0 else {
            throw RenderError.shapeMismatch("a feature grid needs maps shaped [C, H, W] (or [1, C, H, W]) with "
                + "C, H, W ≥ 1, got \(maps.shape); pass the output of one layer")
        }
        if let cols = options.columns, cols < 1 {
            throw RenderError.invalidParameter("the grid needs at least 1 column (got \(cols))")
        }
        if let s = options.scale, s < 1 {
            throw RenderError.invalidParameter("the cell scale must be at least 1 (got \(s))")
        }
        let font = Typeface.body, titleFont = Typeface.title
        let plane = h * w

        // Value ranges: the layer's finite extent, then one range per map.
        var mapExtents: [ValueRange?] = []
        var hasNaN = false
        maps.storage.withUnsafeBufferPointer { all in
            for c in 0..<channels {
                let values = UnsafeBufferPointer(rebasing: all[c * plane..<(c + 1) * plane])
                mapExtents.append(ValueRange.finiteExtent(of: values))
                if !hasNaN { hasNaN = values.contains { $0.isNaN } }
            }
        }
        let found = mapExtents.compactMap { $0 }
        let layerRange = found.isEmpty ? ValueRange(low: 0, high: 0)
            : ValueRange(low: found.map(\.low).min()!, high: found.map(\.high).max()!)
        let colormap = options.colormap ?? (layerRange.isSigned ? .diverging : .viridis)
        let diverging = colormap.isDiverging
        var ranges: [ValueRange]
        let what: String, barLow: String, barHigh: String
        var barNote: String? = nil
        var hasConstantMap = false
        switch options.normalization {
        case .map:
            // A constant map has no min..max of its own; it is drawn on the layer's range instead, so a
            // dead ReLU unit (all zero) looks like the layer's zero rather than like a mid value.
            ranges = mapExtents.map { e in e.flatMap { $0.high > $0.low ? $0 : nil } ?? layerRange }
            hasConstantMap = mapExtents.contains { $0.map { $0.high <= $0.low } ?? true }
            what = diverging ? "per-map ±max|v|, 0 at centre" : "per-map min..max"
            barLow = diverging ? "−max|v|" : "min"
            barHigh = diverging ? "+max|v|" : "max"
            barNote = "layer: \(NumberText.short(layerRange.low)) .. \(NumberText.short(layerRange.high))"
        case .layer:
            ranges = Array(repeating: layerRange, count: channels)
            what = diverging ? "layer ±max|v|, 0 at centre" : "layer min..max"
            let shown = diverging ? layerRange.symmetric : layerRange
            barLow = NumberText.short(shown.low)
            barHigh = NumberText.short(shown.high)
        case let .fixed(lo, hi):
            let fixed = ValueRange(low: lo, high: hi)
            ranges = Array(repeating: fixed, count: channels)
            let shown = diverging ? fixed.symmetric : fixed
            what = "fixed \(NumberText.short(shown.low))..\(NumberText.short(shown.high))"
                + (diverging ? ", 0 at centre" : "")
            barLow = NumberText.short(shown.low)
            barHigh = NumberText.short(shown.high)
        }
        if diverging { ranges = ranges.map(\.symmetric) }

        // Scale: big enough to see a 5×5 map, small enough for a sane picture.
        let side = max(h, w)
        let columns = min(channels, options.columns ?? Int(Double(channels).squareRoot().rounded(.up)))
        let rows = (channels + columns - 1) / columns
        let pad = max(0, options.padding)
        let strip = options.showsLabels ? labelStrip : 0
        var scale = options.scale ?? max(1, min(max(1, options.maximumScale),
                                                (options.minimumCellSize + side - 1) / side))
        if options.scale == nil {
            while scale > 1 && max(pad + columns * (w * scale + pad),
                                   pad + rows * (strip + h * scale + pad)) > options.maximumImageSide {
                scale -= 1
            }
        }
        let cellW = w * scale, cellH = h * scale
        let gridW = pad + columns * (cellW + pad)
        let gridH = pad + rows * (strip + cellH + pad)

        let titleText = title.isEmpty ? "\(channels)×\(h)×\(w)" : "\(title)  \(channels)×\(h)×\(w)"
        var captionText = "colours: \(what) (\(colormap.name))"
        if scale > 1 { captionText += ", each value shown as \(scale)×\(scale) px" }
        if hasConstantMap { captionText += ", constant maps on the layer range" }
        if hasNaN { captionText += ", magenta = NaN" }

        let m = max(0, options.margin)
        let titleH = titleFont.height(of: titleText)
        let captionY = m + titleH + 6
        let gridY = captionY + font.height(of: captionText) + 8
        var contentW = max(gridW, titleFont.width(of: titleText), font.width(of: captionText))
        var height = gridY + gridH + m
        var bar: PixelRect? = nil
        if options.showsColorBar {
            let barW = max(160, min(gridW, 320))
            var extra = 0
            if let barNote { extra += 12 + font.width(of: barNote) }
            if hasNaN { extra += 12 + ColorBar.barHeight + 4 + font.width(of: "NaN") }
            contentW = max(contentW, barW + extra)
            bar = PixelRect(x: m, y: gridY + gridH + 10, width: barW, height: ColorBar.barHeight)
            height = gridY + gridH + 10 + ColorBar.height + m
        }
        let width = contentW + 2 * m
        try Canvas.checkSize("feature grid", width: width, height: height)

        var cells: [PixelRect] = [], labels: [PixelPoint] = []
        for c in 0..<channels {
            let col = c % columns, row = c / columns
            let x0 = m + pad + col * (cellW + pad)
            let y0 = gridY + pad + row * (strip + cellH + pad)
            if options.showsLabels { labels.append(PixelPoint(x: x0 + 1, y: y0)) }
            cells.append(PixelRect(x: x0, y: y0 + strip, width: cellW, height: cellH))
        }
        let layout = Layout(width: width, height: height, channels: channels, mapWidth: w, mapHeight: h,
                            scale: scale, columns: columns, rows: rows,
                            grid: PixelRect(x: m, y: gridY, width: gridW, height: gridH), cells: cells,
                            labelOrigins: labels, titleOrigin: PixelPoint(x: m, y: m),
                            captionOrigin: PixelPoint(x: m, y: captionY), colorBar: bar)
        return Plan(layout: layout, colormap: colormap, ranges: ranges, titleText: titleText,
                    captionText: captionText, barLow: barLow, barHigh: barHigh, barNote: barNote, hasNaN: hasNaN)
    }
}
