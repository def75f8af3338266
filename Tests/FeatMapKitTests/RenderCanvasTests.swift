import Testing
@testable import FeatMapKit

/// Canvas drawing and the bitmap font, checked pixel by pixel against hand-drawn expectations.
@Suite struct RenderCanvasTests {
    @Test func everyPrintableCharacterHasAGlyphAndOnlySpaceIsBlank() {
        let font = BitmapFont.standard
        for a in UInt8(32)...126 {
            let ch = Character(Unicode.Scalar(a))
            let rows = font.rows(for: ch)
            #expect(rows.count == 7)
            #expect(rows.allSatisfy { $0 < 0x20 }, "glyph '\(ch)' is wider than 5 columns")
            #expect(rows.contains { $0 != 0 } == (ch != " "), "glyph '\(ch)'")
            #expect(font.hasGlyph(ch))
        }
        for ch in ["×", "−", "μ", "±", "·"] as [Character] {
            #expect(font.hasGlyph(ch) && font.rows(for: ch).contains { $0 != 0 })
        }
        #expect(!font.hasGlyph("€"))
        #expect(Array(font.rows(for: "€")) == BitmapFont.missingRows)
    }

    // A copy-paste slip in the table would make two characters look alike.
    @Test func asciiGlyphsAreDistinct() {
        var seen: [[UInt8]: Character] = [:]
        for a in UInt8(32)...126 {
            let ch = Character(Unicode.Scalar(a))
            let rows = Array(BitmapFont.standard.rows(for: ch))
            #expect(seen[rows] == nil, "'\(ch)' draws like '\(seen[rows] ?? " ")'")
            seen[rows] = ch
        }
    }

    // Width = (n · 6 − 1) · scale; height = ((lines − 1) · 10 + 7) · scale.
    @Test func textMeasurement() {
        let font = BitmapFont.standard
        #expect(font.width(of: "ab") == 11)
        #expect(font.width(of: "conv1", scale: 2) == 58)
        #expect(font.width(of: "") == 0)
        #expect(font.height(of: "x") == 7)
        #expect(font.height(of: "x\nyy", scale: 3) == 51)
        #expect(font.width(of: "x\nyyy") == 17)
    }

    // "1" is ..#.. / .##.. / ..#.. ×4 / .###. ; at scale 2 from (10, 10) its top ink is x 14–15, y 10–11.
    @Test func textInkLandsWhereTheGlyphSays() {
        var canvas = Canvas(width: 30, height: 30)
        canvas.text("1", x: 10, y: 10, color: .black, scale: 2)
        let image = canvas
        #expect(image.isFilled(PixelRect(x: 14, y: 10, width: 2, height: 2), with: .black))
        #expect(image.isFilled(PixelRect(x: 10, y: 10, width: 4, height: 2), with: .white))
        #expect(image.isFilled(PixelRect(x: 12, y: 12, width: 4, height: 2), with: .black))  // .##..
        #expect(image.isFilled(PixelRect(x: 12, y: 22, width: 6, height: 2), with: .black))  // .###.
        #expect(image.isFilled(PixelRect(x: 10, y: 22, width: 2, height: 2), with: .white))
        // 5 + 8 + 2·4 + 6 = ... count of ink pixels: rows have 1,2,1,1,1,1,3 = 10 pixels, ×4 at scale 2.
        var ink = 0
        for y in 0..<30 { for x in 0..<30 where image.rgb(x, y) == .black { ink += 1 } }
        #expect(ink == 40)
    }

    @Test func rectanglesAreClippedAndStrokedInside() {
        var canvas = Canvas(width: 20, height: 10, background: RGB(grey: 200))
        canvas.fillRect(x: -5, y: -5, width: 8, height: 8, color: .black)
        canvas.strokeRect(x: 8, y: 1, width: 8, height: 8, color: RGB(255, 0, 0), thickness: 2)
        canvas.fillRect(x: 18, y: 8, width: 100, height: 100, color: .white)
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

    @Test func hatchDashAndLine() {
        var canvas = Canvas(width: 12, height: 12)
        canvas.hatchRect(x: 0, y: 0, width: 12, height: 12, background: RGB(grey: 220), lines: .black, spacing: 4)
        let hatched = canvas
        // Lines where (x + y) mod 4 == 0.
        #expect(hatched.rgb(0, 0) == .black && hatched.rgb(3, 1) == .black && hatched.rgb(1, 0) == RGB(grey: 220))
        var c2 = Canvas(width: 12, height: 12)
        c2.dashedRect(x: 0, y: 0, width: 12, height: 12, color: .black, dash: 2)
        let dashed = c2
        #expect(dashed.rgb(0, 0) == .black && dashed.rgb(1, 0) == .black && dashed.rgb(2, 0) == .white)
        #expect(dashed.rgb(4, 11) == .black && dashed.rgb(5, 5) == .white)
        var c3 = Canvas(width: 10, height: 10)
        c3.line(from: PixelPoint(x: 0, y: 0), to: PixelPoint(x: 9, y: 9), color: .black)
        let line = c3
        #expect((0..<10).allSatisfy { line.rgb($0, $0) == .black })
        #expect(line.rgb(1, 0) == .white)
    }

    // Values −1, 0, 1, NaN with the symmetric range ±1: t = 0, 0.5, 1, NaN → rdbu ends, centre, magenta.
    @Test func scalarMapBlitIsEnlargedAndColouredThroughTheMap() throws {
        var canvas = Canvas(width: 8, height: 8)
        canvas.blit(map: [-1, 0, 1, .nan], width: 2, height: 2, x: 1, y: 1, scale: 3, colormap: .rdbu,
                    range: ValueRange(low: -1, high: 1))
        let image = canvas
        #expect(image.isFilled(PixelRect(x: 1, y: 1, width: 3, height: 3), with: try RenderFixtures.matplotlib("rdbu", 0)))
        #expect(image.isFilled(PixelRect(x: 4, y: 1, width: 3, height: 3), with: try RenderFixtures.matplotlib("rdbu", 0.5)))
        #expect(image.isFilled(PixelRect(x: 1, y: 4, width: 3, height: 3), with: try RenderFixtures.matplotlib("rdbu", 1)))
        #expect(image.isFilled(PixelRect(x: 4, y: 4, width: 3, height: 3), with: .magenta))
        #expect(image.rgb(0, 0) == .white && image.rgb(7, 7) == .white)
    }

    // Grey 16-bit 65535 → 255; RGBA 8-bit red at alpha 51/255 = 0.2 over white → (255, 204, 204).
    @Test func imageBlitConvertsGreySixteenBitAndAlpha() {
        var canvas = Canvas(width: 4, height: 2)
        canvas.blit(Image(width: 1, height: 1, channels: 1, bitDepth: 16, samples: [65535]), x: 0, y: 0, scale: 2)
        canvas.blit(Image(width: 1, height: 1, channels: 1, bitDepth: 8, samples: [0]), x: 0, y: 0)
        canvas.blit(Image(width: 1, height: 1, channels: 4, bitDepth: 8, samples: [255, 0, 0, 51]), x: 3, y: 1)
        let image = canvas
        #expect(image.rgb(0, 0) == .black && image.rgb(1, 1) == .white)
        #expect(image.rgb(3, 1) == RGB(255, 204, 204))
    }

    @Test func stackingPlacesImagesWithGapsAndCaptions() {
        let a = Image(width: 10, height: 20, channels: 1, bitDepth: 8, repeating: 0)
        let b = Image(width: 30, height: 5, channels: 3, bitDepth: 8, repeating: 100)
        let stacked = Picture.stacked([a, b], axis: .vertical, gap: 4)
        let format = (stacked.channels, stacked.bitDepth)
        #expect(format == (3, 8))
        let v = Canvas(stacked)
        #expect(v.width == 30 && v.height == 29)
        #expect(v.isFilled(PixelRect(x: 10, y: 0, width: 10, height: 20), with: .black))
        #expect(v.rgb(9, 0) == .white && v.rgb(5, 22) == .white)
        #expect(v.isFilled(PixelRect(x: 0, y: 24, width: 30, height: 5), with: RGB(grey: 100)))
        let h = Canvas(Picture.stacked([a, b], axis: .horizontal, gap: 2, background: .black))
        #expect(h.width == 42 && h.height == 20)
        #expect(h.isFilled(PixelRect(x: 12, y: 7, width: 30, height: 5), with: RGB(grey: 100)))
        #expect(h.rgb(12, 6) == .black)
        // A caption of one line adds 7 + 4 px above its image.
        let c = Canvas(Picture.stacked([a, b], axis: .vertical, gap: 4, captions: ["before", ""]))
        #expect(c.height == 29 + 11 && c.width == 35)  // "before" is 6 · 6 − 1 = 35 px wide
        #expect(c.colors(in: PixelRect(x: 0, y: 0, width: 35, height: 7)).contains(.black))
    }
}

@Suite struct RenderCanvasBlitTests {
    // A 3×2 RGB image at scale 2 placed at (−1, 1): source pixel (sx, sy) covers canvas
    // x ∈ [2sx − 1, 2sx + 1), y ∈ [2sy + 1, 2sy + 3); the left half of column 0 falls off the canvas.
    @Test func enlargedAndClippedImageBlit() {
        let samples: [Float] = [10, 20, 30, 40, 50, 60, 70, 80, 90,
                                100, 110, 120, 130, 140, 150, 160, 170, 180]
        var canvas = Canvas(width: 6, height: 6)
        canvas.blit(Image(width: 3, height: 2, channels: 3, bitDepth: 8, samples: samples), x: -1, y: 1, scale: 2)
        #expect(canvas.rgb(0, 1) == RGB(10, 20, 30) && canvas.rgb(0, 2) == RGB(10, 20, 30))
        #expect(canvas.rgb(1, 1) == RGB(40, 50, 60) && canvas.rgb(2, 2) == RGB(40, 50, 60))
        #expect(canvas.rgb(3, 1) == RGB(70, 80, 90) && canvas.rgb(4, 2) == RGB(70, 80, 90))
        #expect(canvas.rgb(0, 3) == RGB(100, 110, 120) && canvas.rgb(4, 4) == RGB(160, 170, 180))
        #expect(canvas.rgb(5, 1) == .white && canvas.rgb(0, 0) == .white && canvas.rgb(0, 5) == .white)
        // Grey+alpha 16-bit: grey 0 at alpha 32768/65535 over white → 255 · (1 − 0.50000763) = 127.498 → 127.
        canvas.blit(Image(width: 1, height: 1, channels: 2, bitDepth: 16, samples: [0, 32768]), x: 5, y: 5)
        #expect(canvas.rgb(5, 5) == RGB(grey: 127))
        let round = Canvas(Image(width: 2, height: 1, channels: 1, bitDepth: 8, samples: [3, 250]))
        #expect(round.width == 2 && round.rgb(0, 0) == RGB(grey: 3) && round.rgb(1, 0) == RGB(grey: 250))
    }
}
