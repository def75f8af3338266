import CCairo
import CRender
import Foundation

/// The font featmap writes with: DejaVu Sans (bundled, see Sources/CRender/LICENSE-DejaVu.txt) at one
/// size in pixels. Layout works in whole pixels: widths and line heights are the font's metrics rounded
/// up, so a box sized for a text always holds it. Metrics come from Cairo with hinting of metrics off,
/// so they are the same in PNG, PDF and SVG output.
public struct Typeface: Sendable, Hashable {
    public let size: Double

    public init(size: Double) { self.size = max(1, size) }

    /// Labels, captions and numbers.
    public static let body = Typeface(size: 11)
    /// Picture titles.
    public static let title = Typeface(size: 17)
    /// Tick labels and other small print.
    public static let small = Typeface(size: 9)

    var metrics: FontMetrics { FontMetrics.shared(size) }

    /// Advance from one line to the next.
    public var lineHeight: Int { metrics.lineHeight }
    /// From the top of a line to its baseline.
    public var baseline: Double { metrics.ascent }
    /// Height of capital letters above the baseline, for centring a line in a box.
    public var capHeight: Double { metrics.capHeight }

    /// The advance of one line of text in pixels (not rounded).
    public func advance(_ line: some StringProtocol) -> Double { metrics.advance(String(line)) }

    /// Whether the bundled font draws every character of `text` (else Cairo draws the missing ones as boxes).
    public func hasGlyph(_ text: String) -> Bool { metrics.hasGlyphs(text) }

    /// Width of the widest line of `text`, rounded up.
    public func width(of text: String) -> Int {
        let widest = text.split(separator: "\n", omittingEmptySubsequences: false).map { advance($0) }.max() ?? 0
        return Int(widest.rounded(.up))
    }

    /// Height of `text`: one line height per line.
    public func height(of text: String) -> Int {
        text.split(separator: "\n", omittingEmptySubsequences: false).count * lineHeight
    }
}

/// A Cairo scaled font for one size of the bundled face, made once per size and shared.
/// Cairo's scaled fonts are thread-safe, so measuring from several threads needs no lock of ours.
final class FontMetrics: @unchecked Sendable {
    let font: OpaquePointer?
    let ascent: Double
    let lineHeight: Int
    let capHeight: Double

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Double: FontMetrics] = [:]

    static func shared(_ size: Double) -> FontMetrics {
        lock.lock(); defer { lock.unlock() }
        if let m = cache[size] { return m }
        let m = FontMetrics(size: size)
        cache[size] = m
        return m
    }

    /// Font options shared by measuring and drawing: grey anti-aliasing, slight hinting of outlines,
    /// metrics unhinted (so that advances scale exactly with the size and match the PDF).
    static func options() -> OpaquePointer? {
        let o = cairo_font_options_create()
        cairo_font_options_set_antialias(o, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_style(o, CAIRO_HINT_STYLE_SLIGHT)
        cairo_font_options_set_hint_metrics(o, CAIRO_HINT_METRICS_OFF)
        return o
    }

    private init(size: Double) {
        var matrix = cairo_matrix_t(), identity = cairo_matrix_t()
        cairo_matrix_init_scale(&matrix, size, size)
        cairo_matrix_init_identity(&identity)
        let options = Self.options()
        defer { cairo_font_options_destroy(options) }
        if let face = fm_font_face() {
            font = cairo_scaled_font_create(face, &matrix, &identity, options)
        } else {
            font = nil
        }
        var extents = cairo_font_extents_t()
        if let font, cairo_scaled_font_status(font) == CAIRO_STATUS_SUCCESS {
            cairo_scaled_font_extents(font, &extents)
            var capital = cairo_text_extents_t()
            cairo_scaled_font_text_extents(font, "H", &capital)
            capHeight = -capital.y_bearing
        } else {
            // No font (FreeType failed): keep the layout sane; text then draws nothing.
            extents.ascent = 0.93 * size
            extents.descent = 0.24 * size
            capHeight = 0.73 * size
        }
        ascent = extents.ascent.rounded()
        lineHeight = Int((extents.ascent + extents.descent).rounded(.up))
    }

    func hasGlyphs(_ text: String) -> Bool {
        guard let font else { return false }
        var glyphs: UnsafeMutablePointer<cairo_glyph_t>? = nil
        var count: Int32 = 0
        guard cairo_scaled_font_text_to_glyphs(font, 0, 0, text, -1, &glyphs, &count, nil, nil, nil) == CAIRO_STATUS_SUCCESS,
              let glyphs else { return false }
        defer { cairo_glyph_free(glyphs) }
        // Glyph 0 is .notdef, what a font gives for characters it lacks.
        return (0..<Int(count)).allSatisfy { glyphs[$0].index != 0 }
    }

    func advance(_ text: String) -> Double {
        guard let font, !text.isEmpty else { return 0 }
        var extents = cairo_text_extents_t()
        cairo_scaled_font_text_extents(font, text, &extents)
        return extents.x_advance
    }
}
