import Foundation
import Testing
@testable import FeatMapKit

@Suite struct RenderFeatureGridTests {
    /// Six constant 5×5 maps with values 0, 0.25, 0.5, 0.75, 1, 0.1.
    static let constants: [Float] = [0, 0.25, 0.5, 0.75, 1, 0.1]
    static var constantMaps: Tensor {
        Tensor(shape: [6, 5, 5], storage: constants.flatMap { [Float](repeating: $0, count: 25) })
    }

    // Hand layout for 6 maps of 5×5 with defaults: 3 columns × 2 rows, scale ⌈48/5⌉ = 10 (50 px cells),
    // margin 8, padding 2. Line heights from DejaVu Sans (ascent + descent = 2384/2048 em, rounded up):
    // title (17 px) 20, caption (11 px) 13, label strip (9 px) 11. Caption at 8 + 20 + 6 = 34, grid at
    // 34 + 13 + 8 = 55. Grid: 2 + 3·52 = 158 wide, 2 + 2·(11 + 50 + 2) = 128 high. Colour bar 10 below
    // the grid, 12 + 3 + 13 = 28 high, then the margin: 55 + 128 + 10 + 28 + 8 = 229.
    @Test func geometryOfASmallGrid() throws {
        let layout = try FeatureGrid.layout(for: Self.constantMaps, title: "conv1")
        #expect(layout.scale == 10 && layout.columns == 3 && layout.rows == 2)
        #expect(layout.grid == PixelRect(x: 8, y: 55, width: 158, height: 128))
        #expect(layout.cells[0] == PixelRect(x: 10, y: 68, width: 50, height: 50))
        #expect(layout.cells[1] == PixelRect(x: 62, y: 68, width: 50, height: 50))
        #expect(layout.cells[4] == PixelRect(x: 62, y: 131, width: 50, height: 50))
        #expect(layout.labelOrigins[4] == PixelPoint(x: 63, y: 120))
        #expect(layout.height == 229)
        #expect(layout.colorBar == PixelRect(x: 8, y: 193, width: 160, height: 12))
        #expect(layout.block(channel: 4, x: 2, y: 3) == PixelRect(x: 82, y: 161, width: 10, height: 10))
        let image = try FeatureGrid.render(Self.constantMaps, title: "conv1")  // an Image, checked as such
        let format = (image.width, image.height, image.channels, image.bitDepth)
        #expect(format == (layout.width, layout.height, 3, 8))
    }

    // Constant maps with fixed 0..1 and viridis: cell c is viridis(value), the matplotlib colour.
    @Test func fixedNormalisationGivesTheColormapEntry() throws {
        let options = FeatureGridOptions(normalization: .fixed(0, 1), colormap: .viridis)
        let (drawing, layout) = try FeatureGrid.draw(Self.constantMaps, title: "constants", options: options)
        let canvas = try drawing.rendered()
        let image = canvas
        RenderDump.write(image, "grid_constants")
        for (c, v) in Self.constants.enumerated() where v != 0.1 {
            #expect(image.isFilled(layout.cells[c], with: try RenderFixtures.matplotlib("viridis", v)), "channel \(c)")
        }
        // 0.1 with table lookup ⌊0.1 · 256⌋ = 25, matplotlib's own value in the fixture.
        #expect(image.isFilled(layout.cells[5], with: try RenderFixtures.matplotlib("viridis", 0.1)))
    }

    // A constant map has no min..max of its own: it is drawn on the layer range (0...1 here), so each
    // cell shows viridis(value); a layer that is constant throughout has no range at all and is drawn
    // at the middle of the map. Neither divides by zero.
    @Test func constantMapsDoNotDivideByZero() throws {
        let (drawing, layout) = try FeatureGrid.draw(Self.constantMaps, title: "c", options: .init(colormap: .viridis))
        let canvas = try drawing.rendered()
        for (c, v) in Self.constants.enumerated() {
            #expect(canvas.isFilled(layout.cells[c], with: try RenderFixtures.matplotlib("viridis", v)), "channel \(c)")
        }
        let flat = Tensor(shape: [2, 3, 3], repeating: 7)
        for normalization in [GridNormalization.map, .layer] {
            let (d2, l2) = try FeatureGrid.draw(flat, title: "flat", options: .init(normalization: normalization))
            let c2 = try d2.rendered()
            let middle = try RenderFixtures.matplotlib("viridis", 0.5)
            #expect(c2.isFilled(l2.cells[0], with: middle) && c2.isFilled(l2.cells[1], with: middle))
        }
        // A dead ReLU unit next to a live one: the dead map takes the layer's zero colour (viridis 0).
        let relu = Tensor(shape: [2, 1, 2], storage: [0, 0, 0, 5])
        let (d3, l3) = try FeatureGrid.draw(relu, title: "relu")
        let c3 = try d3.rendered()
        #expect(c3.isFilled(l3.cells[0], with: Colormap.viridis.entry(0)))
        #expect(c3.isFilled(l3.block(channel: 1, x: 1, y: 0), with: Colormap.viridis.entry(255)))
    }

    /// Wiring test: checks the labels and the colour bar are produced where the hand layout puts them; the
    /// glyph pixels are the bundled font's and the bar's featmap's viridis table (the table is checked against
    /// matplotlib in RenderColormapTests).
    @Test func labelsAndColourBarAreDrawn() throws {
        let options = FeatureGridOptions(normalization: .layer)
        let (drawing, layout) = try FeatureGrid.draw(Self.constantMaps, title: "conv1", options: options)
        let canvas = try drawing.rendered()
        let image = canvas
        // Light text on the dark pad colour in the label strip (one digit at 9 px: 6 px wide, 11 high).
        let o = layout.labelOrigins[4]
        let label4 = PixelRect(x: o.x, y: o.y, width: 6, height: 11)
        #expect(image.rgb(o.x, o.y) == options.padColor)
        #expect(image.colors(in: label4).contains(options.padColor) && image.colors(in: label4).contains { $0.luma > 200 })
        // Label "0" of channel 0 differs from label "4": the glyphs really are the channel numbers.
        let o0 = layout.labelOrigins[0]
        let pixels = { (r: PixelRect) in (0..<r.height).flatMap { y in (0..<r.width).map { x in image.rgb(r.x + x, r.y + y) } } }
        #expect(pixels(PixelRect(x: o0.x, y: o0.y, width: 6, height: 11)) != pixels(label4))
        // Colour bar: viridis from its first to its last entry, value labels beneath.
        let bar = try #require(layout.colorBar)
        #expect(image.rgb(bar.x, bar.y + 5) == Colormap.viridis.entry(0))
        #expect(image.rgb(bar.maxX - 1, bar.y + 5) == Colormap.viridis.entry(255))
        let under = PixelRect(x: bar.x, y: bar.maxY + 3, width: bar.width, height: 13)
        #expect(image.colors(in: under).contains { $0.luma < 60 })
        // No bar when asked.
        let bare = try FeatureGrid.layout(for: Self.constantMaps, title: "conv1", options: .init(showsColorBar: false))
        #expect(bare.colorBar == nil && bare.height == 55 + 128 + 8)
    }

    // Signed values choose the diverging map centred on zero: 0 → centre, −m and +m → the ends.
    @Test func signedLayersUseTheDivergingMap() throws {
        let maps = Tensor(shape: [2, 1, 3], storage: [-2, 0, 1, 0.5, 0, 2])
        let (drawing, layout) = try FeatureGrid.draw(maps, title: "signed", options: .init(normalization: .layer))
        let canvas = try drawing.rendered()
        let image = canvas
        #expect(image.rgb(layout.block(channel: 0, x: 0, y: 0).x, layout.cells[0].y) == (try RenderFixtures.matplotlib("rdbu", 0)))
        #expect(image.isFilled(layout.block(channel: 0, x: 1, y: 0), with: try RenderFixtures.matplotlib("rdbu", 0.5)))
        #expect(image.isFilled(layout.block(channel: 1, x: 2, y: 0), with: try RenderFixtures.matplotlib("rdbu", 1)))
        #expect(image.isFilled(layout.block(channel: 0, x: 2, y: 0), with: try RenderFixtures.matplotlib("rdbu", 0.75)))
        // Per map: channel 1 spans 0..2 → ±2 as well, channel 0 spans −2..1 → ±2; 0.5 → t = 0.625.
        let (d2, l2) = try FeatureGrid.draw(maps, title: "signed")
        let c2 = try d2.rendered()
        #expect(c2.isFilled(l2.block(channel: 1, x: 0, y: 0), with: Colormap.rdbu.rgb(at: 0.625)))
        #expect(Colormap.rdbu.rgb(at: 0.625) == Colormap.rdbu.entry(160))
    }

    /// Wiring test: checks NaN cells are produced in magenta and the rest on the finite range; the ends are
    /// featmap's own viridis entries 0 and 255 (checked against matplotlib in RenderColormapTests).
    @Test func nanIsDrawnInItsOwnColour() throws {
        let maps = Tensor(shape: [1, 2, 2], storage: [1, .nan, 3, 2])
        let (drawing, layout) = try FeatureGrid.draw(maps, title: "nan")
        let canvas = try drawing.rendered()
        #expect(canvas.isFilled(layout.block(channel: 0, x: 1, y: 0), with: .magenta))
        #expect(canvas.isFilled(layout.block(channel: 0, x: 0, y: 1), with: Colormap.viridis.entry(255)))
        #expect(canvas.isFilled(layout.block(channel: 0, x: 0, y: 0), with: Colormap.viridis.entry(0)))
        let allNaN = Tensor(shape: [1, 2, 2], repeating: .nan)
        #expect(try FeatureGrid.draw(allNaN, title: "x").drawing.rendered().isFilled(
            try FeatureGrid.layout(for: allNaN, title: "x").cells[0], with: .magenta))
    }

    /// A 24×24 crop of photos/chelsea.png (CC0, scikit-image) as [3, 24, 24] floats 0...255;
    /// expected colours computed by NumPy + matplotlib in Tests/scripts/render_fixtures.py.
    @Test(arguments: ["layer", "map", "signed"])
    func photoCropMatchesMatplotlib(kind: String) throws {
        var storage = try RenderFixtures.floats("chelsea_crop_3x24x24.f32")
        #expect(storage.count == 3 * 24 * 24)
        var options = FeatureGridOptions(normalization: kind == "map" ? .map : .layer)
        if kind == "signed" {
            let text = try String(contentsOf: RenderFixtures.url("chelsea_crop_signed_mean.txt"), encoding: .utf8)
            let mean = try #require(Float(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            storage = storage.map { $0 - mean }
        } else {
            options.colormap = nil  // non-negative: viridis by default
        }
        let crop = Tensor(shape: [3, 24, 24], storage: storage)
        let (drawing, layout) = try FeatureGrid.draw(crop, title: "chelsea crop", options: options)
        let canvas = try drawing.rendered()
        let image = canvas
        RenderDump.write(image, "grid_chelsea_\(kind)")
        #expect(layout.scale == 2 && layout.columns == 2)
        let rows = try RenderFixtures.rows("chelsea_crop_expected.txt").filter { $0[0] == kind }
        #expect(rows.count == 30)
        for row in rows {
            let (c, y, x) = (Int(row[1])!, Int(row[2])!, Int(row[3])!)
            let expected = RGB(UInt8(row[4])!, UInt8(row[5])!, UInt8(row[6])!)
            #expect(image.isFilled(layout.block(channel: c, x: x, y: y), with: expected), "\(kind) c\(c) y\(y) x\(x)")
        }
    }

    // 64 maps of 112×112 (SqueezeNet conv1 size): scale 1, 8 columns, a picture under 1000 px a side.
    @Test func largeLayerRendersQuicklyAtASaneSize() throws {
        var state: UInt32 = 12345
        let values = (0..<(64 * 112 * 112)).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) - 0.3
        }
        let maps = Tensor(shape: [64, 112, 112], storage: values)
        let start = Date()
        let (drawing, layout) = try FeatureGrid.draw(maps, title: "conv1")
        let canvas = try drawing.rendered()
        let image = canvas
        let seconds = Date().timeIntervalSince(start)
        RenderDump.write(image, "grid_64x112x112")
        print("FeatureGrid 64×112×112: \(image.width)×\(image.height) in \(String(format: "%.3f", seconds)) s")
        #expect(layout.scale == 1 && layout.columns == 8 && layout.rows == 8)
        #expect(image.width < 1000 && image.height < 1150)
        #expect(seconds < 5)
        // 256 maps of 1×1 would ask for scale 48; the cap keeps cells at 32 px.
        let tiny = try FeatureGrid.layout(for: Tensor(shape: [256, 1, 1], repeating: 1), title: "pool")
        #expect(tiny.scale == 32 && tiny.columns == 16)
        // A grid that would exceed 4096 px is drawn smaller.
        let wide = try FeatureGrid.layout(for: Tensor(shape: [100, 60, 60], repeating: 1), title: "x",
                                          options: .init(minimumCellSize: 600, maximumScale: 10))
        #expect(wide.scale == 6)  // 2 + 10 · (60 s + 2) ≤ 4096 ⇔ s ≤ 6.79
    }

    // A 1×2,000,000 map: the picture would be over 2 million px wide and about 90 px high, more than
    // 100 million pixels, so it is refused before the canvas is allocated; 1×20,000 is fine.
    @Test func oversizedPicturesAreRefused() throws {
        let fine = try FeatureGrid.layout(for: Tensor(shape: [1, 1, 20_000]), title: "x")
        #expect(fine.scale == 1 && fine.width > 20_000)
        #expect(throws: RenderError.self) { try FeatureGrid.layout(for: Tensor(shape: [1, 1, 2_000_000]), title: "x") }
        // A 1,000,000 × 1 kernel in 4 px cells: 4 million px wide.
        #expect(throws: RenderError.self) {
            try KernelPicture.render(values: [Float](repeating: 0, count: 1_000_000), width: 1_000_000, height: 1, title: "x")
        }
        #expect(throws: RenderError.self) { try Canvas.checkSize("x", width: Int.max / 2, height: 3) }
    }

    @Test func badShapesAndOptionsThrow() {
        #expect(throws: RenderError.self) { try FeatureGrid.render(Tensor(shape: [0, 4, 4]), title: "x") }
        #expect(throws: RenderError.self) { try FeatureGrid.render(Tensor(shape: [8]), title: "x") }
        #expect(throws: RenderError.self) { try FeatureGrid.render(Tensor(shape: [2, 3, 4, 4]), title: "x") }
        #expect(throws: RenderError.self) {
            try FeatureGrid.render(Tensor(shape: [1, 4, 4]), title: "x", options: .init(columns: 0))
        }
        #expect(throws: RenderError.self) {
            try FeatureGrid.render(Tensor(shape: [1, 4, 4]), title: "x", options: .init(scale: 0))
        }
    }

    @Test func normalisationParsing() throws {
        #expect(try GridNormalization(parsing: "map") == .map)
        #expect(try GridNormalization(parsing: "LAYER") == .layer)
        #expect(try GridNormalization(parsing: "fixed:-1,2.5") == .fixed(-1, 2.5))
        #expect(try GridNormalization(parsing: "fixed: 0 , 6") == .fixed(0, 6))
        for bad in ["", "fixed", "fixed:1", "fixed:2,1", "fixed:a,b", "fixed:1,2,3", "fixed:nan,1", "global"] {
            #expect(throws: RenderError.invalidNormalization(bad)) { try GridNormalization(parsing: bad) }
        }
        #expect(GridNormalization.fixed(-1, 2.5).description == "fixed:−1,2.5")
    }
}
