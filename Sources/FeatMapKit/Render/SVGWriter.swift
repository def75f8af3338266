import Foundation

/// A `Drawing` as an SVG 1.1 document. Written by featmap rather than by Cairo's SVG surface because
/// Cairo turns every glyph into an outline: here labels stay `<text>` (searchable, selectable, editable in
/// Inkscape or Illustrator), in DejaVu Sans (the font the layout was measured with; viewers without it
/// fall back to a sans-serif, and centred and right-aligned text stays aligned through `text-anchor`).
/// Rasters are embedded as PNG and drawn with `image-rendering: pixelated`, so enlarged feature maps
/// keep square pixels in browsers instead of being smoothed.
enum SVGWriter {
    static let fontFamily = "'DejaVu Sans', Verdana, sans-serif"

    static func document(_ d: Drawing) throws -> String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" \
        width="\(d.width)" height="\(d.height)" viewBox="0 0 \(d.width) \(d.height)">
        <desc>made by featmap</desc>

        """
        var ids = 0
        try body(d, into: &out, ids: &ids)
        out += "</svg>\n"
        return out
    }

    static func hex(_ c: RGB) -> String {
        let digits = Array("0123456789abcdef")
        return "#" + String([digits[Int(c.r >> 4)], digits[Int(c.r & 15)], digits[Int(c.g >> 4)], digits[Int(c.g & 15)],
                             digits[Int(c.b >> 4)], digits[Int(c.b & 15)]])
    }

    /// A number with at most three decimals and no trailing zeros.
    static func n(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 1000
        if r == r.rounded() { return String(Int(r)) }
        var s = String(format: "%.3f", r)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static func escaped(_ s: String) -> String {
        var o = ""
        for ch in s {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default:
                // Characters XML 1.0 forbids (controls other than tab) would make the file invalid.
                if let a = ch.asciiValue, a < 32, a != 9 { o += "\u{FFFD}" } else { o.append(ch) }
            }
        }
        return o
    }

    static func body(_ d: Drawing, into out: inout String, ids: inout Int) throws {
        out += "<rect width=\"\(d.width)\" height=\"\(d.height)\" fill=\"\(hex(d.background))\"/>\n"
        for item in d.items {
            switch item {
            case let .rect(r, color):
                out += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(hex(color))\"/>\n"
            case let .line(x0, y0, x1, y1, color, width):
                out += "<line x1=\"\(n(x0))\" y1=\"\(n(y0))\" x2=\"\(n(x1))\" y2=\"\(n(y1))\" stroke=\"\(hex(color))\" "
                    + "stroke-width=\"\(n(width))\" stroke-linecap=\"square\"/>\n"
            case let .hatch(r, background, lines, spacing):
                ids += 1
                out += "<clipPath id=\"hatch\(ids)\"><rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\"/></clipPath>\n"
                out += "<rect x=\"\(r.x)\" y=\"\(r.y)\" width=\"\(r.width)\" height=\"\(r.height)\" fill=\"\(hex(background))\"/>\n"
                var path = ""
                for (ax, ay, bx, by) in CairoRenderer.hatchLines(r, spacing: spacing) {
                    path += "M\(n(ax)) \(n(ay))L\(n(bx)) \(n(by))"
                }
                out += "<path clip-path=\"url(#hatch\(ids))\" d=\"\(path)\" stroke=\"\(hex(lines))\" stroke-width=\"1\" fill=\"none\"/>\n"
            case let .raster(raster, x, y, s):
                let png = try pngData(raster).base64EncodedString()
                out += "<image x=\"\(x)\" y=\"\(y)\" width=\"\(raster.width * s)\" height=\"\(raster.height * s)\" "
                    + "preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\" "
                    + "xlink:href=\"data:image/png;base64,\(png)\"/>\n"
            case let .text(text, x, baseline, font, color, anchor):
                let a = anchor == .start ? "" : " text-anchor=\"\(anchor == .middle ? "middle" : "end")\""
                out += "<text x=\"\(n(x))\" y=\"\(n(baseline))\" font-family=\"\(fontFamily)\" font-size=\"\(n(font.size))\" "
                    + "fill=\"\(hex(color))\"\(a) xml:space=\"preserve\">\(escaped(text))</text>\n"
            case let .drawing(inner, x, y, s):
                // A nested <svg> clips to its viewport, as Cairo's clip does.
                out += "<svg x=\"\(x)\" y=\"\(y)\" width=\"\(n(Double(inner.width) * s))\" height=\"\(n(Double(inner.height) * s))\" "
                    + "viewBox=\"0 0 \(inner.width) \(inner.height)\" preserveAspectRatio=\"none\">\n"
                try body(inner, into: &out, ids: &ids)
                out += "</svg>\n"
            }
        }
    }

    /// The raster as a PNG file in memory, through featmap's PNG encoder.
    static func pngData(_ r: Raster) throws -> Data {
        let image = Image(width: r.width, height: r.height, channels: r.channels, bitDepth: 8,
                          samples: r.bytes.map { Float($0) })
        return Data(try ImageEncoder.encoded(image, as: .png(depth: 8)))
    }
}
