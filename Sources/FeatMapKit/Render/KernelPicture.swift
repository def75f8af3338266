/// A convolution kernel drawn as a table of enlarged cells: colour from the diverging map centred on
/// zero (so the sign of each weight is visible at a glance), and the value written in each cell in
/// black or white, whichever contrasts with the cell. Kernels wider or taller than
/// `maximumWrittenSide` are drawn without numbers, in smaller cells.
public enum KernelPicture {
    public static let maximumWrittenSide = 25

    public static func render(values: [Float], width: Int, height: Int, title: String) throws -> Image {
        try draw(values: values, width: width, height: height, title: title).drawing.image()
    }

    /// The picture and, row-major, the rectangle of each kernel cell.
    public static func draw(values: [Float], width: Int, height: Int,
                            title: String) throws -> (drawing: Drawing, cells: [PixelRect]) {
        guard width > 0, height > 0, values.count == width * height else {
            throw RenderError.shapeMismatch("a \(width)×\(height) kernel needs \(max(0, width * height)) values, "
                + "got \(values.count); check the kernel's rows and columns")
        }
        let font = Typeface.body, titleFont = Typeface.title
        let colormap = Colormap.diverging
        let range = (ValueRange.finiteExtent(of: values) ?? ValueRange(low: 0, high: 0)).symmetric
        let writes = max(width, height) <= maximumWrittenSide
        let texts = writes ? values.map(NumberText.short) : []
        let longest = texts.map { font.width(of: $0) }.max() ?? 0
        let cell = writes ? max(32, longest + 10) : max(4, min(32, 800 / max(width, height)))
        let gap = 1
        let margin = 8

        let titleText = "\(title)  \(width)×\(height)"
        var caption = "colours: \(colormap.name), 0 at centre, ends ±max|v| = ±\(NumberText.short(range.high))"
        if !writes { caption += "; values not written (larger than \(maximumWrittenSide)×\(maximumWrittenSide))" }
        let gridW = gap + width * (cell + gap), gridH = gap + height * (cell + gap)
        let captionY = margin + titleFont.height(of: titleText) + 6
        let gridY = captionY + font.height(of: caption) + 8
        let barY = gridY + gridH + 10
        let barW = max(120, min(gridW, 320))
        let contentW = max(gridW, barW, titleFont.width(of: titleText), font.width(of: caption))
        try Canvas.checkSize("kernel picture", width: contentW + 2 * margin, height: barY + ColorBar.height + margin)
        var drawing = Drawing(width: contentW + 2 * margin, height: barY + ColorBar.height + margin)
        drawing.text(titleText, x: margin, y: margin, color: .black, font: titleFont)
        drawing.text(caption, x: margin, y: captionY, color: .black)
        drawing.fillRect(x: margin, y: gridY, width: gridW, height: gridH, color: RGB(grey: 160))

        let (a, b) = range.affine
        var cells: [PixelRect] = []
        for r in 0..<height {
            for c in 0..<width {
                let v = values[r * width + c]
                let rect = PixelRect(x: margin + gap + c * (cell + gap), y: gridY + gap + r * (cell + gap),
                                     width: cell, height: cell)
                let colour = v.isNaN ? RGB.magenta : colormap.rgb(at: v * a + b)
                drawing.fillRect(rect, color: colour)
                if writes {
                    let t = texts[r * width + c]
                    drawing.text(t, centredIn: rect, color: colour.contrastingText)
                }
                cells.append(rect)
            }
        }
        ColorBar.draw(on: &drawing, x: margin, y: barY, width: barW, colormap: colormap,
                      low: NumberText.short(range.low), high: NumberText.short(range.high), middle: "0")
        return (drawing, cells)
    }
}
