import CCairo
import CRender

/// Draws a `Drawing` with Cairo: onto image surfaces for PNG (in tiles, so that a tall overview needs
/// neither a surface past Cairo's 32,767-pixel limit nor more than one tile of memory at a time) and onto
/// a PDF surface.
enum CairoRenderer {
    /// Side of the tiles a raster is rendered in.
    static let tile = 4096

    static func raster(_ d: Drawing) throws -> Canvas {
        try Canvas.checkSize("picture", width: d.width, height: d.height)
        var pixels = [UInt8](repeating: 0, count: d.width * d.height * 3)
        var y0 = 0
        while y0 < d.height {
            let th = min(tile, d.height - y0)
            var x0 = 0
            while x0 < d.width {
                let tw = min(tile, d.width - x0)
                guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(tw), Int32(th)),
                      cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
                    throw RenderError.invalidParameter("Cairo could not make a \(tw)×\(th) surface (out of memory?)")
                }
                defer { cairo_surface_destroy(surface) }
                let cr = cairo_create(surface)
                cairo_translate(cr, Double(-x0), Double(-y0))
                paint(d, on: cr, scale: 1)
                let status = cairo_status(cr)
                cairo_destroy(cr)
                guard status == CAIRO_STATUS_SUCCESS else {
                    throw RenderError.invalidParameter("Cairo failed to draw the picture: \(String(cString: cairo_status_to_string(status)))")
                }
                cairo_surface_flush(surface)
                let stride = Int(cairo_image_surface_get_stride(surface))
                let data = cairo_image_surface_get_data(surface)!
                pixels.withUnsafeMutableBufferPointer { out in
                    for y in 0..<th {
                        // RGB24 is one native-endian UInt32 per pixel, 0x00RRGGBB.
                        let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
                        var o = ((y0 + y) * d.width + x0) * 3
                        for x in 0..<tw {
                            let v = row[x]
                            out[o] = UInt8(truncatingIfNeeded: v >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: v)
                            o += 3
                        }
                    }
                }
                x0 += tw
            }
            y0 += th
        }
        return Canvas(width: d.width, height: d.height, pixels: pixels)
    }

    /// PDF pages are at most 14,400 units a side (the limit Acrobat keeps to, PDF 1.7 annex C); a picture
    /// is 0.75 pt per pixel (96 px to the inch) or smaller if it would exceed that.
    static let largestPageSide = 14_400.0

    static func pdf(_ d: Drawing) throws -> [UInt8] {
        let k = min(0.75, largestPageSide / Double(max(1, d.width, d.height)))
        var bytes = fm_bytes()
        guard let surface = fm_pdf_surface(Double(d.width) * k, Double(d.height) * k, &bytes) else {
            throw RenderError.invalidParameter("Cairo could not make a PDF surface")
        }
        defer { fm_bytes_free(&bytes) }
        let cr = cairo_create(surface)
        cairo_scale(cr, k, k)
        // Rasters are kept at their pixels (nearest, /Interpolate false): the viewer scales the page.
        paint(d, on: cr, scale: 1)
        cairo_show_page(cr)
        let status = cairo_status(cr)
        cairo_destroy(cr)
        cairo_surface_finish(surface)
        let surfaceStatus = cairo_surface_status(surface)
        cairo_surface_destroy(surface)
        guard status == CAIRO_STATUS_SUCCESS, surfaceStatus == CAIRO_STATUS_SUCCESS, bytes.failed == 0,
              let data = bytes.data else {
            let s = status != CAIRO_STATUS_SUCCESS ? status : surfaceStatus
            throw RenderError.invalidParameter("Cairo failed to write the PDF: \(String(cString: cairo_status_to_string(s)))")
        }
        return Array(UnsafeBufferPointer(start: data, count: bytes.size))
    }

    static func setColor(_ cr: OpaquePointer?, _ c: RGB) {
        cairo_set_source_rgb(cr, Double(c.r) / 255, Double(c.g) / 255, Double(c.b) / 255)
    }

    /// Paints the drawing with its top-left at the current origin. `scale` is the drawing's pixel size
    /// in device units, to choose how rasters are sampled: nearest neighbour when they are enlarged or
    /// kept, a box filter when a shrunk drawing makes them smaller than their pixels.
    static func paint(_ d: Drawing, on cr: OpaquePointer?, scale: Double) {
        setColor(cr, d.background)
        cairo_rectangle(cr, 0, 0, Double(d.width), Double(d.height))
        cairo_fill(cr)
        for item in d.items {
            switch item {
            case let .rect(r, color):
                setColor(cr, color)
                cairo_rectangle(cr, Double(r.x), Double(r.y), Double(r.width), Double(r.height))
                cairo_fill(cr)
            case let .line(x0, y0, x1, y1, color, width):
                setColor(cr, color)
                cairo_set_line_width(cr, width)
                cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE)
                cairo_move_to(cr, x0, y0)
                cairo_line_to(cr, x1, y1)
                cairo_stroke(cr)
            case let .hatch(r, background, lines, spacing):
                setColor(cr, background)
                cairo_rectangle(cr, Double(r.x), Double(r.y), Double(r.width), Double(r.height))
                cairo_fill_preserve(cr)
                cairo_save(cr)
                cairo_clip(cr)
                setColor(cr, lines)
                cairo_set_line_width(cr, 1)
                for (ax, ay, bx, by) in hatchLines(r, spacing: spacing) {
                    cairo_move_to(cr, ax, ay)
                    cairo_line_to(cr, bx, by)
                }
                cairo_stroke(cr)
                cairo_restore(cr)
            case let .raster(raster, x, y, s):
                paint(raster, on: cr, x: x, y: y, scale: s, deviceScale: scale)
            case let .text(text, x, baseline, font, color, anchor):
                guard let face = fm_font_face() else { continue }
                let options = FontMetrics.options()
                cairo_set_font_options(cr, options)
                cairo_font_options_destroy(options)
                cairo_set_font_face(cr, face)
                cairo_set_font_size(cr, font.size)
                setColor(cr, color)
                let advance = anchor == .start ? 0 : font.advance(text)
                cairo_move_to(cr, x - (anchor == .middle ? advance / 2 : anchor == .end ? advance : 0), baseline)
                cairo_show_text(cr, text)
                cairo_new_path(cr)
            case let .drawing(inner, x, y, s):
                cairo_save(cr)
                cairo_translate(cr, Double(x), Double(y))
                cairo_scale(cr, s, s)
                cairo_rectangle(cr, 0, 0, Double(inner.width), Double(inner.height))
                cairo_clip(cr)
                paint(inner, on: cr, scale: scale * s)
                cairo_restore(cr)
            }
        }
    }

    /// The hatch lines of a rectangle as segments through pixel centres: the pixels with
    /// (x − r.x + y − r.y) mod spacing = 0, lines rising to the right.
    static func hatchLines(_ r: PixelRect, spacing: Int) -> [(Double, Double, Double, Double)] {
        var lines: [(Double, Double, Double, Double)] = []
        var c = 0
        while c < r.width + r.height {
            // Pixel centres (r.x + c − t + 0.5, r.y + t + 0.5) for t = −1 … r.height.
            let ax = Double(r.x + c + 1) + 0.5, ay = Double(r.y - 1) + 0.5
            let bx = Double(r.x + c - r.height - 1) + 0.5, by = Double(r.y + r.height + 1) + 0.5
            lines.append((ax, ay, bx, by))
            c += spacing
        }
        return lines
    }

    static func paint(_ raster: Raster, on cr: OpaquePointer?, x: Int, y: Int, scale s: Int, deviceScale: Double) {
        let format = raster.channels == 4 ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24
        guard let surface = cairo_image_surface_create(format, Int32(raster.width), Int32(raster.height)),
              cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else { return }
        defer { cairo_surface_destroy(surface) }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        let c = raster.channels
        raster.bytes.withUnsafeBufferPointer { src in
            for yy in 0..<raster.height {
                let row = UnsafeMutableRawPointer(data + yy * stride).assumingMemoryBound(to: UInt32.self)
                var i = yy * raster.width * c
                for xx in 0..<raster.width {
                    let r = UInt32(src[i]), g = UInt32(src[i + 1]), b = UInt32(src[i + 2])
                    if c == 4 {
                        // ARGB32 is premultiplied: each colour scaled by alpha / 255, rounded.
                        let a = UInt32(src[i + 3])
                        let pr = (r * a + 127) / 255, pg = (g * a + 127) / 255, pb = (b * a + 127) / 255
                        row[xx] = a << 24 | pr << 16 | pg << 8 | pb
                    } else {
                        row[xx] = 0xFF00_0000 | r << 16 | g << 8 | b
                    }
                    i += c
                }
            }
        }
        cairo_surface_mark_dirty(surface)
        cairo_save(cr)
        cairo_translate(cr, Double(x), Double(y))
        cairo_scale(cr, Double(s), Double(s))
        cairo_set_source_surface(cr, surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), deviceScale * Double(s) >= 1 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD)
        cairo_rectangle(cr, 0, 0, Double(raster.width), Double(raster.height))
        cairo_fill(cr)
        cairo_restore(cr)
    }
}
