import Testing
@testable import FeatMapKit

/// Drawings rendered by Cairo, and the bundled font's metrics, checked against hand calculation:
/// advances and vertical metrics from DejaVu Sans's own tables (units per em 2048; hhea ascent 1901,
/// descent 483; advances a 1255, b 1300, e 1260, f 721, o 1253, r 842, read with fontTools), and
/// pixels where marks of whole-pixel geometry must be exact.
@Suite struct RenderDrawingTests {
    @Test func theBundledFontHasTheGlyphsPicturesUse() {
        let font = Typeface.body
        for a in UInt8(33)...126 {
            let ch = String(Character(Unicode.Scalar(a)))
            #expect(font.hasGlyph(ch) && font.advance(ch) > 0, "glyph '\(ch)'")
        }
        for ch in ["×", "−", "μ", "±", "·", "…", "≤", "≥", "σ", "√", "→", "²"] {
            #expect(font.hasGlyph(ch), "glyph '\(ch)'")
        }
        // Outside the subset (Sources/CRender/subset_font.py): CJK and the euro sign.
        #expect(!font.hasGlyph("漢") && !font.hasGlyph("€"))
    }

    // At 11 px: "ab" = 11 · 2555/2048 = 13.72 → 14; "before" = 11 · 6636/2048 = 35.64 → 36;
    // line height ⌈11 · (1901 + 483)/2048⌉ = ⌈12.80⌉ = 13; baseline at round(11 · 1901/2048) = round(10.21) = 10.
    @Test func textMeasurementFollowsTheFontTables() {
        let font = Typeface.body
        #expect(abs(font.advance("ab") - 11 * 2555 / 2048) < 1e-6)
        #expect(font.width(of: "ab") == 14)
        #expect(font.width(of: "before") == 36)
        #expect(font.width(of: "ab\nbefore") == 36)
        #expect(font.width(of: "") == 0)
        #expect(font.lineHeight == 13 && font.baseline == 10)
        #expect(font.height(of: "x") == 13 && font.height(of: "x\nyy\nz") == 39)
        // Metrics scale with the size: 17 px "ab" = 17 · 2555/2048 = 21.21.
        #expect(abs(Typeface.title.advance("ab") - 17 * 2555 / 2048) < 1e-6)
    }

    // "1" at (10, 10): ink only inside its advance (7 px) and between the top of the line and the
    // baseline (y 10…20); the digit's stem is dark.
    @Test func textInkLandsInsideItsBox() throws {
        var drawing = Drawing(width: 40, height: 40)
        drawing.text("1", x: 10, y: 10, color: .black)
        let canvas = try drawing.rendered()
        var ink = 0, outside = 0, darkest: Float = 255
        for y in 0..<40 { for x in 0..<40 where canvas.rgb(x, y) != .white {
            ink += 1
            darkest = min(darkest, canvas.rgb(x, y).luma)
            if x < 10 || x > 17 || y < 10 || y > 20 { outside += 1 }
        } }
        #expect(ink > 10 && outside == 0 && darkest < 60)
    }

    @Test func rectanglesAreClippedAndStrokedInside() throws {
        var drawing = Drawing(width: 20, height: 10, background: RGB(grey: 200))
        drawing.fillRect(x: -5, y: -5, width: 8, height: 8, color: .black)
        drawing.strokeRect(x: 8, y: 1, width: 8, height: 8, color: RGB(255, 0, 0), thickness: 2)
        drawing.fillRect(x: 18, y: 8, width: 100, height: 100, color: .white)
        let canvas = try drawing.rendered()
        let image = canvas
        let picture = canvas.image
        let format = (picture.width, picture.height, picture.channels, picture.bitDepth)
        #expect(format == (20, 10, 3, 8))
        let samplesMatch = picture.samples == canvas.pixels.map(Float.init)
        #expect(samplesMatch)
        #expect(image.isFilled(PixelRect(x: 0, y: 0, width: 3, height: 3), with: .black))
        #expect(image.rgb(3, 3) == RGB(grey: 200))
        #expect(image.isFilled(PixelRect(x: 8, y: 1, width: 8, height: 2), with: RGB(255, 0, 0)))
        #expect(image.isFilled(PixelRect(x: 14, y: 1, width: 2, height: 8), with: RGB(255, 0, 0)))
        #expect(image.isFilled(PixelRect(x: 10, y: 3, width: 4, height: 4), with: RGB(grey: 200)))
        #expect(image.isFilled(PixelRect(x: 18, y: 8, width: 2, height: 2), with: .white))
    }

    // Spacing 4: lines through the pixel centres with x + y ≡ 0 (mod 4). A 1-px anti-aliased line at 45°
    // covers the band |x + y − c| ≤ √2/2 around c = 1, 5, 9 …, so pixel (2, 0) (x + y from 2 to 4) is
    // untouched and pixels on a line are mostly covered.
    @Test func hatchAndLines() throws {
        var drawing = Drawing(width: 12, height: 12)
        drawing.hatchRect(x: 0, y: 0, width: 12, height: 12, background: RGB(grey: 220), lines: .black, spacing: 4)
        let hatched = try drawing.rendered()
        #expect(hatched.rgb(2, 0) == RGB(grey: 220) && hatched.rgb(6, 4) == RGB(grey: 220))
        #expect(hatched.rgb(0, 0).luma < 110 && hatched.rgb(3, 1).luma < 110 && hatched.rgb(11, 5).luma < 110)
        var lines = Drawing(width: 10, height: 10)
        lines.line(from: PixelPoint(x: 0, y: 0), to: PixelPoint(x: 9, y: 9), color: .black)
        let line = try lines.rendered()
        #expect((0..<10).allSatisfy { line.rgb($0, $0).luma < 128 })
        #expect(line.rgb(5, 0) == .white && line.rgb(0, 9) == .white)
    }

    // Values −1, 0, 1, NaN with the symmetric range ±1: t = 0, 0.5, 1, NaN → rdbu ends, centre, magenta.
    @Test func scalarMapBlitIsEnlargedAndColouredThroughTheMap() throws {
        var drawing = Drawing(width: 8, height: 8)
        drawing.blit(map: [-1, 0, 1, .nan], width: 2, height: 2, x: 1, y: 1, scale: 3, colormap: .rdbu,
                     range: ValueRange(low: -1, high: 1))
        let image = try drawing.rendered()
        #expect(image.isFilled(PixelRect(x: 1, y: 1, width: 3, height: 3), with: try RenderFixtures.matplotlib("rdbu", 0)))
        #expect(image.isFilled(PixelRect(x: 4, y: 1, width: 3, height: 3), with: try RenderFixtures.matplotlib("rdbu", 0.5)))
        #expect(image.isFilled(PixelRect(x: 1, y: 4, width: 3, height: 3), with: try RenderFixtures.matplotlib("rdbu", 1)))
        #expect(image.isFilled(PixelRect(x: 4, y: 4, width: 3, height: 3), with: .magenta))
        #expect(image.rgb(0, 0) == .white && image.rgb(7, 7) == .white)
    }

    // Grey 16-bit 65535 → 255; RGBA 8-bit red at alpha 51/255 = 0.2 over white → (255, 204, 204).
    @Test func imageBlitConvertsGreySixteenBitAndAlpha() throws {
        var drawing = Drawing(width: 4, height: 2)
        drawing.blit(Image(width: 1, height: 1, channels: 1, bitDepth: 16, samples: [65535]), x: 0, y: 0, scale: 2)
        drawing.blit(Image(width: 1, height: 1, channels: 1, bitDepth: 8, samples: [0]), x: 0, y: 0)
        drawing.blit(Image(width: 1, height: 1, channels: 4, bitDepth: 8, samples: [255, 0, 0, 51]), x: 3, y: 1)
        let image = try drawing.rendered()
        #expect(image.rgb(0, 0) == .black && image.rgb(1, 1) == .white)
        #expect(image.rgb(3, 1) == RGB(255, 204, 204))
    }

    @Test func stackingPlacesImagesWithGapsAndCaptions() throws {
        let a = Image(width: 10, height: 20, channels: 1, bitDepth: 8, repeating: 0)
        let b = Image(width: 30, height: 5, channels: 3, bitDepth: 8, repeating: 100)
        let v = try Picture.stacked([a, b], axis: .vertical, gap: 4).rendered()
        #expect(v.width == 30 && v.height == 29)
        #expect(v.isFilled(PixelRect(x: 10, y: 0, width: 10, height: 20), with: .black))
        #expect(v.rgb(9, 0) == .white && v.rgb(5, 22) == .white)
        #expect(v.isFilled(PixelRect(x: 0, y: 24, width: 30, height: 5), with: RGB(grey: 100)))
        let h = try Picture.stacked([a, b], axis: .horizontal, gap: 2, background: .black).rendered()
        #expect(h.width == 42 && h.height == 20)
        #expect(h.isFilled(PixelRect(x: 12, y: 7, width: 30, height: 5), with: RGB(grey: 100)))
        #expect(h.rgb(12, 6) == .black)
        // A caption of one line adds its line height (13) + 4 px above its image; "before" is 36 px wide.
        let c = try Picture.stacked([a, b], axis: .vertical, gap: 4, captions: ["before", ""]).rendered()
        #expect(c.height == 29 + 17 && c.width == 36)
        #expect(c.colors(in: PixelRect(x: 0, y: 0, width: 36, height: 13)).contains { $0.luma < 60 })
    }
}

@Suite struct RenderDrawingBlitTests {
    // A 3×2 RGB image at scale 2 placed at (−1, 1): source pixel (sx, sy) covers canvas
    // x ∈ [2sx − 1, 2sx + 1), y ∈ [2sy + 1, 2sy + 3); the left half of column 0 falls off the canvas.
    @Test func enlargedAndClippedImageBlit() throws {
        let samples: [Float] = [10, 20, 30, 40, 50, 60, 70, 80, 90,
                                100, 110, 120, 130, 140, 150, 160, 170, 180]
        var drawing = Drawing(width: 6, height: 6)
        drawing.blit(Image(width: 3, height: 2, channels: 3, bitDepth: 8, samples: samples), x: -1, y: 1, scale: 2)
        var canvas = try drawing.rendered()
        #expect(canvas.rgb(0, 1) == RGB(10, 20, 30) && canvas.rgb(0, 2) == RGB(10, 20, 30))
        #expect(canvas.rgb(1, 1) == RGB(40, 50, 60) && canvas.rgb(2, 2) == RGB(40, 50, 60))
        #expect(canvas.rgb(3, 1) == RGB(70, 80, 90) && canvas.rgb(4, 2) == RGB(70, 80, 90))
        #expect(canvas.rgb(0, 3) == RGB(100, 110, 120) && canvas.rgb(4, 4) == RGB(160, 170, 180))
        #expect(canvas.rgb(5, 1) == .white && canvas.rgb(0, 0) == .white && canvas.rgb(0, 5) == .white)
        // Grey+alpha 16-bit: grey 0 at alpha 32768/65535 over white → 255 · (1 − 0.50000763) = 127.498 → 127.
        drawing.blit(Image(width: 1, height: 1, channels: 2, bitDepth: 16, samples: [0, 32768]), x: 5, y: 5)
        canvas = try drawing.rendered()
        #expect(canvas.rgb(5, 5) == RGB(grey: 127))
        let round = Canvas(Image(width: 2, height: 1, channels: 1, bitDepth: 8, samples: [3, 250]))
        #expect(round.width == 2 && round.rgb(0, 0) == RGB(grey: 3) && round.rgb(1, 0) == RGB(grey: 250))
    }
}
