/// A horizontal colour bar with its value labels underneath: low end left, high end right,
/// and an optional middle label (the zero of a diverging map).
enum ColorBar {
    static let barHeight = 12
    static let labelGap = 3

    /// Height of bar plus labels.
    static var height: Int { barHeight + labelGap + Typeface.body.lineHeight }

    /// The bar's colours as a raster one pixel per column: entry i·255/(w−1) of the table at column i,
    /// so that both ends of the table appear.
    static func raster(width: Int, colormap: Colormap) -> Raster {
        let w = max(2, width)
        var bytes = [UInt8](repeating: 0, count: w * barHeight * 3)
        for i in 0..<w {
            let c = colormap.entry((i * 255 + (w - 1) / 2) / (w - 1))
            for y in 0..<barHeight {
                let o = (y * w + i) * 3
                bytes[o] = c.r; bytes[o + 1] = c.g; bytes[o + 2] = c.b
            }
        }
        return Raster(width: w, height: barHeight, channels: 3, bytes: bytes)
    }

    static func draw(on drawing: inout Drawing, x: Int, y: Int, width: Int, colormap: Colormap,
                     low: String, high: String, middle: String? = nil, text: RGB = .black) {
        let bar = raster(width: width, colormap: colormap)
        drawing.strokeRect(x: x - 1, y: y - 1, width: bar.width + 2, height: barHeight + 2, color: RGB(grey: 128))
        drawing.blit(bar, x: x, y: y)
        let ty = y + barHeight + labelGap
        drawing.text(low, x: x, y: ty, color: text)
        drawing.text(high, x: x + bar.width, y: ty, color: text, anchor: .end)
        if let middle {
            drawing.text(middle, x: x + bar.width / 2, y: ty, color: text, anchor: .middle)
        }
    }
}
