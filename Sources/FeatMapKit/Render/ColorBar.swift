/// A horizontal colour bar with its value labels underneath: low end left, high end right,
/// and an optional middle label (the zero of a diverging map).
enum ColorBar {
    static let barHeight = 12
    static let labelGap = 3

    /// Height of bar plus labels.
    static var height: Int { barHeight + labelGap + BitmapFont.standard.glyphHeight }

    static func draw(on canvas: inout Canvas, x: Int, y: Int, width: Int, colormap: Colormap,
                     low: String, high: String, middle: String? = nil, text: RGB = .black) {
        let w = max(2, width)
        for i in 0..<w {
            // Entry i·255/(w−1) so that both ends of the table appear.
            let c = colormap.entry((i * 255 + (w - 1) / 2) / (w - 1))
            canvas.fillRect(x: x + i, y: y, width: 1, height: barHeight, color: c)
        }
        canvas.strokeRect(x: x - 1, y: y - 1, width: w + 2, height: barHeight + 2, color: RGB(grey: 128))
        let font = BitmapFont.standard
        let ty = y + barHeight + labelGap
        canvas.text(low, x: x, y: ty, color: text)
        canvas.text(high, x: x + w - font.width(of: high), y: ty, color: text)
        if let middle {
            canvas.text(middle, x: x + (w - font.width(of: middle)) / 2, y: ty, color: text)
        }
    }
}
