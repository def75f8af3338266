/// An RGB raster with 8 bits per sample: where feature maps are turned into pixels (colormaps,
/// enlargement) and what Cairo's rendering of a `Drawing` is read back into.
/// Coordinates are pixels, origin top-left; everything drawn is clipped to the canvas.
public struct Canvas: Sendable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    /// Interleaved RGB, row-major.
    public private(set) var pixels: [UInt8]

    /// Largest picture the renderers agree to draw (they throw `RenderError.pictureTooLarge` beyond it):
    /// 100 million pixels, 300 MB of RGB, already far more than a screen or a page can show.
    public static let maximumPixels = 100_000_000

    /// Throws when a width × height picture would exceed `maximumPixels`.
    static func checkSize(_ what: String, width: Int, height: Int) throws {
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || area > maximumPixels || width < 0 || height < 0 {
            throw RenderError.pictureTooLarge(what: what, width: width, height: height)
        }
    }

    public init(width: Int, height: Int, background: RGB = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
        fill(background)
    }

    /// A canvas holding `pixels` (interleaved RGB, row-major, width × height × 3 bytes).
    init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A canvas showing `image` (any channel count or bit depth), to draw marks over a picture.
    public init(_ image: Image, background: RGB = .white) {
        self.init(width: image.width, height: image.height, background: background)
        blit(image, x: 0, y: 0)
    }

    public var description: String { "Canvas(\(width)×\(height))" }

    /// The canvas as an 8-bit RGB `Image`, ready for the PNG encoder.
    public var image: Image {
        Image(width: width, height: height, channels: 3, bitDepth: 8, samples: pixels.map { Float($0) })
    }

    /// Writes the canvas atomically to `path` ("-" = standard output) as an 8-bit RGB PNG: its bytes go
    /// to the encoder as they are, not through an `Image`'s floats (which cost a third of `layers`' time).
    public func writePNG(to path: String) throws {
        try OutputFile.write(to: path) { file in
            let writer = try ImageWriter(file: file, width: width, height: height, channels: 3, format: .png(depth: 8),
                                         destination: CodecError.displayName(path))
            try pixels.withUnsafeBufferPointer { try writer.writeRows(bytes: $0) }
            try writer.finish()
        }
    }

    public subscript(x: Int, y: Int) -> RGB {
        get {
            guard x >= 0, y >= 0, x < width, y < height else { return .black }
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    public mutating func fill(_ color: RGB) {
        fillRect(x: 0, y: 0, width: width, height: height, color: color)
    }

    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let stride = width * 3
        pixels.withUnsafeMutableBufferPointer { p in
            for yy in y0..<y1 {
                var i = yy * stride + x0 * 3
                for _ in x0..<x1 {
                    p[i] = color.r; p[i + 1] = color.g; p[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    public mutating func fillRect(_ r: PixelRect, color: RGB) {
        fillRect(x: r.x, y: r.y, width: r.width, height: r.height, color: color)
    }

    /// Copies an image with its top-left at (x, y), each pixel enlarged to scale × scale.
    /// Grey is spread to RGB, 16-bit samples are brought to 0...255, alpha is blended over the canvas
    /// (out = a · image + (1 − a) · canvas, a = alpha / maxValue).
    public mutating func blit(_ image: Image, x: Int, y: Int, scale: Int = 1) {
        let s = max(1, scale)
        let c = image.channels, colour = image.colorChannels, hasAlpha = image.hasAlpha
        let k = 255 / image.maxValue, alphaScale = 1 / image.maxValue
        // Clip in canvas pixels once; every canvas pixel maps back to source pixel ((px − x) / s, (py − y) / s).
        let x0 = max(0, x), x1 = min(width, x + image.width * s)
        let y0 = max(0, y), y1 = min(height, y + image.height * s)
        guard x0 < x1, y0 < y1, image.samples.count >= image.width * image.height * c else { return }
        let canvasWidth = width
        image.samples.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for py in y0..<y1 {
                    let rowStart = ((py - y) / s) * image.width
                    var o = (py * canvasWidth + x0) * 3
                    for px in x0..<x1 {
                        let i = (rowStart + (px - x) / s) * c
                        let r = src[i] * k
                        let g = colour == 3 ? src[i + 1] * k : r
                        let b = colour == 3 ? src[i + 2] * k : r
                        if hasAlpha {
                            let a = min(1, max(0, src[i + c - 1] * alphaScale))
                            dst[o] = Self.byte(r * a + Float(dst[o]) * (1 - a))
                            dst[o + 1] = Self.byte(g * a + Float(dst[o + 1]) * (1 - a))
                            dst[o + 2] = Self.byte(b * a + Float(dst[o + 2]) * (1 - a))
                        } else {
                            dst[o] = Self.byte(r)
                            dst[o + 1] = Self.byte(g)
                            dst[o + 2] = Self.byte(b)
                        }
                        o += 3
                    }
                }
            }
        }
    }

    /// Draws a scalar map [h, w] through a colormap, each value an enlarged scale × scale block.
    /// t = v · affine.scale + affine.offset (see `ValueRange.affine`); NaN is drawn in `nanColor`.
    public mutating func blit(map values: UnsafeBufferPointer<Float>, width w: Int, height h: Int,
                              x: Int, y: Int, scale: Int, colormap: Colormap, range: ValueRange,
                              nanColor: RGB = .magenta) {
        let s = max(1, scale)
        guard w > 0, h > 0, values.count >= w * h else { return }
        let (a, b) = range.affine
        // One enlarged source row is built once and copied s times.
        var row = [UInt8](repeating: 0, count: w * s * 3)
        let table = colormap.table
        let x0 = max(0, x), x1 = min(width, x + w * s)
        guard x0 < x1 else { return }
        let canvasWidth = width, canvasHeight = height
        pixels.withUnsafeMutableBufferPointer { dst in
            row.withUnsafeMutableBufferPointer { rowp in
                table.withUnsafeBufferPointer { lut in
                    for sy in 0..<h {
                        let top = y + sy * s
                        guard top + s > 0, top < canvasHeight else { continue }
                        var o = 0
                        for sx in 0..<w {
                            let v = values[sy * w + sx]
                            let cr: UInt8, cg: UInt8, cb: UInt8
                            if v.isNaN {
                                (cr, cg, cb) = (nanColor.r, nanColor.g, nanColor.b)
                            } else {
                                let k = colormap.index(at: v * a + b) * 3
                                (cr, cg, cb) = (lut[k], lut[k + 1], lut[k + 2])
                            }
                            for _ in 0..<s {
                                rowp[o] = cr; rowp[o + 1] = cg; rowp[o + 2] = cb
                                o += 3
                            }
                        }
                        let from = (x0 - x) * 3, count = (x1 - x0) * 3
                        for yy in max(0, top)..<min(canvasHeight, top + s) {
                            let d = (yy * canvasWidth + x0) * 3
                            (dst.baseAddress! + d).update(from: rowp.baseAddress! + from, count: count)
                        }
                    }
                }
            }
        }
    }

    public mutating func blit(map values: [Float], width w: Int, height h: Int, x: Int, y: Int, scale: Int,
                              colormap: Colormap, range: ValueRange, nanColor: RGB = .magenta) {
        values.withUnsafeBufferPointer {
            blit(map: $0, width: w, height: h, x: x, y: y, scale: scale, colormap: colormap, range: range,
                 nanColor: nanColor)
        }
    }

    @inline(__always) static func byte(_ v: Float) -> UInt8 {
        guard v.isFinite else { return 0 }
        return UInt8(max(0, min(255, v.rounded())))
    }
}
