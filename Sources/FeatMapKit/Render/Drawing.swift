/// A picture as a list of marks (rectangles, lines, hatching, text, and pixel rasters such as feature
/// maps), in picture pixels with the origin top-left. Every featmap picture is built as a `Drawing` and
/// then written as PNG (rasterised by Cairo), PDF (Cairo's PDF surface: vector marks, embedded font,
/// selectable text) or SVG (`SVGWriter`: `<text>` elements). Rasters are only ever enlarged by whole
/// factors with nearest-neighbour sampling, so a feature map stays pixel-exact in every format.
public struct Drawing: Sendable {
    public let width: Int
    public let height: Int
    public var background: RGB
    public private(set) var items: [Item] = []

    /// Where a line of text sits relative to its x coordinate.
    public enum Anchor: Sendable, Equatable { case start, middle, end }

    public enum Item: Sendable {
        case rect(PixelRect, RGB)
        /// A straight line between pixel-centre coordinates, `width` pixels wide, square caps.
        case line(x0: Double, y0: Double, x1: Double, y1: Double, color: RGB, width: Double)
        /// Diagonal lines (rising to the right, `spacing` px apart) over a background: the padding mark.
        case hatch(PixelRect, background: RGB, lines: RGB, spacing: Int)
        /// `raster` with its top-left at (x, y), each of its pixels a scale × scale block.
        case raster(Raster, x: Int, y: Int, scale: Int)
        /// One line of text; `baseline` is the y of the baseline.
        case text(String, x: Double, baseline: Double, font: Typeface, color: RGB, anchor: Anchor)
        /// Another drawing placed with its top-left at (x, y), scaled by `scale` (≤ 1 shrinks it).
        case drawing(Drawing, x: Int, y: Int, scale: Double)
    }

    public init(width: Int, height: Int, background: RGB = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.background = background
    }

    /// A drawing of just `image` at its own size (pictures that are already pixels, such as a photo).
    public init(_ image: Image, background: RGB = .white) {
        self.init(width: image.width, height: image.height, background: background)
        blit(image, x: 0, y: 0)
    }

    // MARK: Marks

    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        guard w > 0, h > 0 else { return }
        items.append(.rect(PixelRect(x: x, y: y, width: w, height: h), color))
    }

    public mutating func fillRect(_ r: PixelRect, color: RGB) {
        fillRect(x: r.x, y: r.y, width: r.width, height: r.height, color: color)
    }

    /// An outline drawn inside the rectangle, `thickness` pixels wide (four filled bands, so that it
    /// covers whole pixels in the PNG and the same area in SVG and PDF).
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB, thickness: Int = 1) {
        guard w > 0, h > 0 else { return }
        let t = max(1, min(thickness, (min(w, h) + 1) / 2))
        fillRect(x: x, y: y, width: w, height: t, color: color)
        fillRect(x: x, y: y + h - t, width: w, height: t, color: color)
        fillRect(x: x, y: y + t, width: t, height: h - 2 * t, color: color)
        fillRect(x: x + w - t, y: y + t, width: t, height: h - 2 * t, color: color)
    }

    public mutating func strokeRect(_ r: PixelRect, color: RGB, thickness: Int = 1) {
        strokeRect(x: r.x, y: r.y, width: r.width, height: r.height, color: color, thickness: thickness)
    }

    public mutating func hatchRect(x: Int, y: Int, width w: Int, height h: Int, background: RGB, lines: RGB,
                                   spacing: Int = 6) {
        guard w > 0, h > 0 else { return }
        items.append(.hatch(PixelRect(x: x, y: y, width: w, height: h), background: background, lines: lines,
                            spacing: max(2, spacing)))
    }

    public mutating func hatchRect(_ r: PixelRect, background: RGB, lines: RGB, spacing: Int = 6) {
        hatchRect(x: r.x, y: r.y, width: r.width, height: r.height, background: background, lines: lines, spacing: spacing)
    }

    /// A line from the centre of pixel `a` to the centre of pixel `b`.
    public mutating func line(from a: PixelPoint, to b: PixelPoint, color: RGB, thickness: Double = 1) {
        items.append(.line(x0: Double(a.x) + 0.5, y0: Double(a.y) + 0.5, x1: Double(b.x) + 0.5, y1: Double(b.y) + 0.5,
                           color: color, width: thickness))
    }

    /// A line between arbitrary points (plot curves), in picture coordinates.
    public mutating func line(x0: Double, y0: Double, x1: Double, y1: Double, color: RGB, thickness: Double = 1) {
        items.append(.line(x0: x0, y0: y0, x1: x1, y1: y1, color: color, width: thickness))
    }

    /// An image (any channel count or bit depth; alpha is kept and blended over what lies below) with
    /// its top-left at (x, y), each pixel enlarged to scale × scale.
    public mutating func blit(_ image: Image, x: Int, y: Int, scale: Int = 1) {
        guard image.width > 0, image.height > 0 else { return }
        items.append(.raster(Raster(image), x: x, y: y, scale: max(1, scale)))
    }

    public mutating func blit(_ raster: Raster, x: Int, y: Int, scale: Int = 1) {
        guard raster.width > 0, raster.height > 0 else { return }
        items.append(.raster(raster, x: x, y: y, scale: max(1, scale)))
    }

    /// A scalar map [h, w] through a colormap, each value a scale × scale block
    /// (t = v · affine.scale + affine.offset, see `ValueRange.affine`; NaN in `nanColor`).
    public mutating func blit(map values: UnsafeBufferPointer<Float>, width w: Int, height h: Int,
                              x: Int, y: Int, scale: Int, colormap: Colormap, range: ValueRange,
                              nanColor: RGB = .magenta) {
        guard w > 0, h > 0, values.count >= w * h else { return }
        var canvas = Canvas(width: w, height: h)
        canvas.blit(map: values, width: w, height: h, x: 0, y: 0, scale: 1, colormap: colormap, range: range,
                    nanColor: nanColor)
        blit(Raster(canvas), x: x, y: y, scale: scale)
    }

    public mutating func blit(map values: [Float], width w: Int, height h: Int, x: Int, y: Int, scale: Int,
                              colormap: Colormap, range: ValueRange, nanColor: RGB = .magenta) {
        values.withUnsafeBufferPointer {
            blit(map: $0, width: w, height: h, x: x, y: y, scale: scale, colormap: colormap, range: range,
                 nanColor: nanColor)
        }
    }

    /// Text with the top of its first line at y; "\n" starts a new line (`font.lineHeight` apart).
    /// `anchor` places each line's start, middle or end at x.
    public mutating func text(_ text: String, x: Int, y: Int, color: RGB, font: Typeface = .body,
                              anchor: Anchor = .start) {
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            items.append(.text(String(line), x: Double(x), baseline: Double(y + i * font.lineHeight) + font.baseline,
                               font: font, color: color, anchor: anchor))
        }
    }

    /// One line of text centred in a rectangle, horizontally and on its cap height.
    public mutating func text(_ text: String, centredIn r: PixelRect, color: RGB, font: Typeface = .body) {
        items.append(.text(text, x: Double(r.x) + Double(r.width) / 2,
                           baseline: Double(r.y) + (Double(r.height) + font.capHeight) / 2,
                           font: font, color: color, anchor: .middle))
    }

    /// Places another drawing with its top-left at (x, y), optionally shrunk or enlarged.
    public mutating func place(_ drawing: Drawing, x: Int, y: Int, scale: Double = 1) {
        items.append(.drawing(drawing, x: x, y: y, scale: scale))
    }

    // MARK: Output

    /// The drawing rasterised by Cairo (anti-aliased text and lines, rasters nearest-neighbour).
    public func rendered() throws -> Canvas { try CairoRenderer.raster(self) }

    /// The drawing as an 8-bit RGB image, ready for the PNG encoder.
    public func image() throws -> Image { try rendered().image }

    /// The file bytes of the drawing as SVG or PDF (PNG goes through `rendered()` and the image encoder).
    public func vectorData(_ format: PictureFormat) throws -> [UInt8] {
        switch format {
        case .svg: return Array(try SVGWriter.document(self).utf8)
        case .pdf: return try CairoRenderer.pdf(self)
        case .png: return []
        }
    }

    /// Writes the drawing atomically to `path` ("-" = standard output) in `format`.
    public func write(to path: String, as format: PictureFormat) throws {
        switch format {
        case .png:
            try rendered().writePNG(to: path)
        case .svg, .pdf:
            try OutputFile.write(try vectorData(format), to: path)
        }
    }

    /// Writes the drawing in the format named by the path's extension (.png, .svg or .pdf; PNG for
    /// standard output and for names without one of these extensions).
    public func write(to path: String) throws {
        try write(to: path, as: PictureFormat(path: path) ?? .png)
    }
}

/// What a picture can be written as.
public enum PictureFormat: String, Sendable, CaseIterable {
    case png, svg, pdf

    /// The format a file name asks for by its extension, nil when it names none of them.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        self.init(rawValue: path[path.index(after: dot)...].lowercased())
    }

    public var fileExtension: String { rawValue }

    /// The format to write `path` in: the one its extension names; `fallback` for standard output ("-")
    /// and names without an extension. Other extensions (.jpg, .npy …) are refused, as a picture with
    /// text and lines is none of those.
    public static func forOutput(_ path: String, fallback: PictureFormat = .png) throws -> PictureFormat {
        if path == "-" { return fallback }
        if let f = PictureFormat(path: path) { return f }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        throw RenderError.invalidParameter("\(path): pictures are written as PNG, SVG or PDF, not '\(name[name.index(after: dot)...])'; "
            + "name the output .png, .svg or .pdf")
    }
}

/// Pixels for a `Drawing`: 8-bit RGB or RGBA (straight alpha), row-major.
public struct Raster: Sendable {
    public let width: Int
    public let height: Int
    /// 3 (RGB) or 4 (RGBA).
    public let channels: Int
    public let bytes: [UInt8]

    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) {
        precondition(channels == 3 || channels == 4)
        precondition(bytes.count == width * height * channels)
        self.width = width; self.height = height; self.channels = channels; self.bytes = bytes
    }

    public init(_ canvas: Canvas) {
        self.init(width: canvas.width, height: canvas.height, channels: 3, bytes: canvas.pixels)
    }

    /// Any image: grey spread to RGB, 16-bit brought to 0...255 (rounded), alpha kept.
    public init(_ image: Image) {
        let c = image.channels, colour = image.colorChannels, alpha = image.hasAlpha
        let out = alpha ? 4 : 3, k = 255 / image.maxValue
        var bytes = [UInt8](repeating: 0, count: image.width * image.height * out)
        image.samples.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(image.width * image.height) {
                    let i = p * c, o = p * out
                    let r = Canvas.byte(src[i] * k)
                    dst[o] = r
                    dst[o + 1] = colour == 3 ? Canvas.byte(src[i + 1] * k) : r
                    dst[o + 2] = colour == 3 ? Canvas.byte(src[i + 2] * k) : r
                    if alpha { dst[o + 3] = Canvas.byte(src[i + c - 1] * k) }
                }
            }
        }
        self.init(width: image.width, height: image.height, channels: out, bytes: bytes)
    }
}
