/// Receptive fields drawn on the input the network saw: per unit a coloured box over the input pixels
/// the unit sees, a cross at its centre, the part of the box that lies outside the image (in the
/// padding, where the network reads zeros) hatched, and a numbered label. With an effective receptive
/// field, the gradient magnitude of the unit with respect to each input pixel is laid over the image
/// inside the box as a heat map (magma, brightest where the unit is most sensitive). Beside it, the
/// layer's feature map with the same units framed in the same colours.
public enum ReceptiveFieldPicture {
    /// One unit and what it sees.
    public struct Mark: Sendable {
        public var label: String
        /// Input rows and columns of the theoretical field (may reach outside the image).
        public var rows: ClosedRange<Int>
        public var columns: ClosedRange<Int>
        /// The unit's position in the feature map.
        public var unit: MapUnit
        /// |∂unit/∂input| summed over input channels, [H, W] of the input; nil for the theoretical field only.
        public var effective: [Float]?

        public init(label: String, rows: ClosedRange<Int>, columns: ClosedRange<Int>, unit: MapUnit, effective: [Float]? = nil) {
            self.label = label; self.rows = rows; self.columns = columns; self.unit = unit; self.effective = effective
        }
    }

    /// A feature map drawn beside the input.
    public struct FeatureMap: Sendable {
        public var values: [Float]
        public var width: Int, height: Int
        public var caption: String
        public init(values: [Float], width: Int, height: Int, caption: String) {
            self.values = values; self.width = width; self.height = height; self.caption = caption
        }
    }

    public struct Layout: Sendable {
        public var width: Int, height: Int
        /// Pixels per input pixel.
        public var scale: Int
        /// Where the image was drawn.
        public var image: PixelRect
        /// Per mark: its box, its centre and the top-left of its label.
        public var boxes: [PixelRect]
        public var centres: [PixelPoint]
        public var labels: [PixelPoint]
        /// The feature map panel and each mark's unit inside it.
        public var map: PixelRect?
        public var mapUnits: [PixelRect]
    }

    public static let palette: [RGB] = [RGB(230, 25, 25), RGB(0, 110, 255), RGB(0, 170, 0), RGB(255, 140, 0),
                                        RGB(170, 0, 200), RGB(0, 180, 180), RGB(200, 160, 0), RGB(120, 60, 20)]
    public static let hatchColors = (background: RGB(235, 235, 235), lines: RGB(140, 140, 140))
    static let margin = 8

    public static func draw(image: Image, marks: [Mark], map: FeatureMap?, title: String,
                            caption: String) throws -> (drawing: Drawing, layout: Layout) {
        guard image.width > 0, image.height > 0 else { throw RenderError.shapeMismatch("the input picture is empty") }
        let font = Typeface.body, titleFont = Typeface.title
        let (w, h) = (image.width, image.height)
        // Room around the image for the parts of the fields that lie in padding.
        let before = Pair(max(0, -(marks.map(\.rows.lowerBound).min() ?? 0)), max(0, -(marks.map(\.columns.lowerBound).min() ?? 0)))
        let after = Pair(max(0, (marks.map(\.rows.upperBound).max() ?? 0) - (h - 1)),
                         max(0, (marks.map(\.columns.upperBound).max() ?? 0) - (w - 1)))
        let extent = Pair(h + before.y + after.y, w + before.x + after.x)
        let scale = max(1, min(16, 600 / max(extent.y, extent.x)))
        let titleH = titleFont.height(of: title), captionH = font.height(of: caption)
        let top = margin + titleH + 6 + captionH + 10 + font.lineHeight
        let panel = PixelRect(x: margin, y: top, width: extent.x * scale, height: extent.y * scale)
        let imageRect = PixelRect(x: panel.x + before.x * scale, y: panel.y + before.y * scale, width: w * scale, height: h * scale)
        var mapRect: PixelRect? = nil, mapScale = 1
        if let map, map.width > 0, map.height > 0, map.values.count == map.width * map.height {
            mapScale = max(1, panel.height / map.height, 1)
            mapScale = max(1, min(mapScale, 480 / max(map.width, 1)))
            mapRect = PixelRect(x: panel.maxX + 24, y: top, width: map.width * mapScale, height: map.height * mapScale)
        }
        let legend = marks.map(\.label).joined(separator: "\n")
        let legendY = max(panel.maxY, mapRect?.maxY ?? 0) + 12
        let width = max(2 * margin + titleFont.width(of: title), 2 * margin + font.width(of: caption),
                        (mapRect?.maxX ?? panel.maxX) + margin, 2 * margin + font.width(of: legend))
        let height = legendY + (legend.isEmpty ? 0 : font.height(of: legend)) + margin
        try Canvas.checkSize("receptive-field picture", width: width, height: height)
        var drawing = Drawing(width: width, height: height)
        drawing.text(title, x: margin, y: margin, color: .black, font: titleFont)
        drawing.text(caption, x: margin, y: margin + titleH + 6, color: .black)
        drawing.text("input \(w)×\(h) as the network saw it", x: panel.x, y: top - font.lineHeight, color: .black)
        drawing.blit(image, x: imageRect.x, y: imageRect.y, scale: scale)
        drawing.strokeRect(x: imageRect.x - 1, y: imageRect.y - 1, width: imageRect.width + 2, height: imageRect.height + 2,
                          color: RGB(grey: 128))
        var layout = Layout(width: width, height: height, scale: scale, image: imageRect, boxes: [], centres: [], labels: [],
                            map: mapRect, mapUnits: [])
        func box(_ m: Mark) -> PixelRect {
            PixelRect(x: imageRect.x + m.columns.lowerBound * scale, y: imageRect.y + m.rows.lowerBound * scale,
                      width: m.columns.count * scale, height: m.rows.count * scale)
        }
        // Padding first, then heat maps, then boxes on top, so later boxes stay visible.
        for m in marks {
            let b = box(m)
            for part in outside(b, of: imageRect) {
                drawing.hatchRect(x: part.x, y: part.y, width: part.width, height: part.height,
                                 background: hatchColors.background, lines: hatchColors.lines)
            }
        }
        for m in marks {
            guard let effective = m.effective, effective.count == w * h else { continue }
            if let overlay = heat(effective, mark: m, width: w, height: h) {
                drawing.blit(overlay.raster, x: imageRect.x + overlay.x * scale, y: imageRect.y + overlay.y * scale, scale: scale)
            }
        }
        for (i, m) in marks.enumerated() {
            let color = palette[i % palette.count]
            let b = box(m)
            drawing.strokeRect(b, color: color, thickness: 2)
            let cy = b.y + b.height / 2, cx = b.x + b.width / 2
            let arm = max(3, min(b.width, b.height) / 8)
            drawing.fillRect(x: cx - arm, y: cy - 1, width: 2 * arm + 1, height: 3, color: color)
            drawing.fillRect(x: cx - 1, y: cy - arm, width: 3, height: 2 * arm + 1, color: color)
            let tag = "#\(i + 1)"
            let tagW = font.width(of: tag) + 4
            let label = PixelPoint(x: b.x + 2, y: b.y + 2)
            let tagBox = PixelRect(x: label.x, y: label.y, width: tagW, height: Int(font.capHeight.rounded(.up)) + 6)
            drawing.fillRect(tagBox, color: color)
            drawing.text(tag, centredIn: tagBox, color: .white)
            layout.boxes.append(b)
            layout.centres.append(PixelPoint(x: cx, y: cy))
            layout.labels.append(label)
        }
        if let map, let mapRect {
            let range0 = ValueRange.finiteExtent(of: map.values) ?? ValueRange(low: 0, high: 0)
            let colormap: Colormap = range0.isSigned ? .diverging : .viridis
            drawing.text(map.caption, x: mapRect.x, y: top - font.lineHeight, color: .black)
            drawing.blit(map: map.values, width: map.width, height: map.height, x: mapRect.x, y: mapRect.y, scale: mapScale,
                        colormap: colormap, range: colormap.isDiverging ? range0.symmetric : range0)
            for (i, m) in marks.enumerated() {
                let r = PixelRect(x: mapRect.x + m.unit.x * mapScale, y: mapRect.y + m.unit.y * mapScale, width: mapScale, height: mapScale)
                let t = max(1, min(3, mapScale / 4))
                drawing.strokeRect(x: r.x - t, y: r.y - t, width: r.width + 2 * t, height: r.height + 2 * t,
                                  color: palette[i % palette.count], thickness: t)
                layout.mapUnits.append(r)
            }
        }
        for (i, line) in legend.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let y = legendY + i * font.lineHeight
            drawing.fillRect(x: margin, y: y + 1, width: 4, height: font.lineHeight - 2, color: palette[i % palette.count])
            drawing.text(String(line), x: margin + 8, y: y, color: .black)
        }
        return (drawing, layout)
    }

    /// The parts of `r` outside `inner`: bands above and below, then left and right of the middle.
    static func outside(_ r: PixelRect, of inner: PixelRect) -> [PixelRect] {
        var parts: [PixelRect] = []
        if r.y < inner.y { parts.append(PixelRect(x: r.x, y: r.y, width: r.width, height: min(r.maxY, inner.y) - r.y)) }
        if r.maxY > inner.maxY { let y = max(r.y, inner.maxY); parts.append(PixelRect(x: r.x, y: y, width: r.width, height: r.maxY - y)) }
        let y0 = max(r.y, inner.y), y1 = min(r.maxY, inner.maxY)
        if y1 > y0 {
            if r.x < inner.x { parts.append(PixelRect(x: r.x, y: y0, width: min(r.maxX, inner.x) - r.x, height: y1 - y0)) }
            if r.maxX > inner.maxX { let x = max(r.x, inner.maxX); parts.append(PixelRect(x: x, y: y0, width: r.maxX - x, height: y1 - y0)) }
        }
        return parts.filter { $0.width > 0 && $0.height > 0 }
    }

    /// The effective field over the image inside the box, as an RGBA raster of the box's part inside the
    /// image and its top-left in input pixels: magma(t) with t = magnitude / largest magnitude in the box
    /// and opacity 0.85·√t, so weak pixels keep the image.
    static func heat(_ values: [Float], mark m: Mark, width w: Int, height h: Int) -> (raster: Raster, x: Int, y: Int)? {
        let ys = max(0, m.rows.lowerBound)...min(h - 1, m.rows.upperBound)
        let xs = max(0, m.columns.lowerBound)...min(w - 1, m.columns.upperBound)
        guard ys.lowerBound <= ys.upperBound, xs.lowerBound <= xs.upperBound else { return nil }
        var peak: Float = 0
        for y in ys { for x in xs where values[y * w + x].isFinite { peak = max(peak, values[y * w + x]) } }
        guard peak > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: ys.count * xs.count * 4)
        var o = 0
        for y in ys { for x in xs {
            let v = values[y * w + x]
            if v.isFinite, v > 0 {
                let t = v / peak
                let heat = Colormap.magma.rgb(at: t)
                bytes[o] = heat.r; bytes[o + 1] = heat.g; bytes[o + 2] = heat.b
                bytes[o + 3] = Canvas.byte(255 * 0.85 * t.squareRoot())
            }
            o += 4
        } }
        return (Raster(width: xs.count, height: ys.count, channels: 4, bytes: bytes), xs.lowerBound, ys.lowerBound)
    }
}
