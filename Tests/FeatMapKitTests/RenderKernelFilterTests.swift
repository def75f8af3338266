import Testing
@testable import FeatMapKit

@Suite struct RenderKernelFilterTests {
    static let sobelX: [Float] = [1, 0, -1, 2, 0, -2, 1, 0, -1]

    // Range ±2: 0 → t = 0.5 (diverging centre), 2 → 1 (red end), −2 → 0 (blue end), 1 → 0.75.
    @Test func kernelCellsAreColouredByValueCentredOnZero() throws {
        let (drawing, cells) = try KernelPicture.draw(values: Self.sobelX, width: 3, height: 3, title: "sobel x")
        let canvas = try drawing.rendered()
        let image = canvas
        RenderDump.write(image, "kernel_sobel")
        #expect(cells.count == 9)
        let corner = { (i: Int) in image.rgb(cells[i].x, cells[i].y) }
        #expect(corner(1) == (try RenderFixtures.matplotlib("rdbu", 0.5)))
        #expect(corner(3) == (try RenderFixtures.matplotlib("rdbu", 1)))
        #expect(corner(5) == (try RenderFixtures.matplotlib("rdbu", 0)))
        #expect(corner(0) == (try RenderFixtures.matplotlib("rdbu", 0.75)))
        // Text colour for contrast: white on the dark ends, black on the pale centre.
        #expect(image.colors(in: cells[3]).contains(.white))
        #expect(!image.colors(in: cells[3]).contains(.black))
        #expect(image.colors(in: cells[1]).contains { $0.luma < 60 })
        // The centre cell: its colour and the anti-aliased shades of black text over it, nothing lighter.
        let centre = image.colors(in: cells[4]), pale = image.rgb(cells[4].x, cells[4].y)
        #expect(centre.contains { $0.luma < 60 } && centre.allSatisfy { $0.luma <= pale.luma + 1 })
    }

    // Gaussian 3×3 / 16: the widest text "0.0625" is 11 · (5 · 1303 + 651)/2048 = 38.5 → 39 px wide
    // (DejaVu Sans's digits are 1303 units, the full stop 651), so cells are 39 + 10 = 49 px;
    // all values are positive, so the centre 0.25 is the red end and no cell is blue.
    @Test func fractionalKernelValuesAreWrittenInWiderCells() throws {
        let gauss: [Float] = [1, 2, 1, 2, 4, 2, 1, 2, 1].map { $0 / 16 }
        let (drawing, cells) = try KernelPicture.draw(values: gauss, width: 3, height: 3, title: "gaussian")
        let canvas = try drawing.rendered()
        RenderDump.write(canvas, "kernel_gauss")
        #expect(cells[0].width == 49 && cells[1].x - cells[0].x == 50)
        #expect(canvas.rgb(cells[4].x, cells[4].y) == Colormap.rdbu.entry(255))
        #expect(canvas.rgb(cells[0].x, cells[0].y) == Colormap.rdbu.rgb(at: 0.625))
        #expect(NumberText.short(0.0625) == "0.0625" && NumberText.short(-2) == "−2" && NumberText.short(1.0 / 3) == "0.333")
    }

    @Test func kernelWithoutRangeAndBadCountsAndLargeKernels() throws {
        let zeros = try KernelPicture.draw(values: [0, 0, 0, 0], width: 2, height: 2, title: "zero")
        #expect(try zeros.drawing.rendered().rgb(zeros.cells[0].x, zeros.cells[0].y) == Colormap.rdbu.entry(128))
        #expect(throws: RenderError.self) { try KernelPicture.render(values: [1, 2, 3], width: 2, height: 2, title: "x") }
        #expect(throws: RenderError.self) { try KernelPicture.render(values: [], width: 0, height: 0, title: "x") }
        // 31×31: no numbers, cells of ⌊800/31⌋ = 25 px, still coloured (constant 1 → red end).
        let big = try KernelPicture.draw(values: [Float](repeating: 1, count: 961), width: 31, height: 31, title: "box")
        #expect(big.cells[0].width == 25)
        #expect(try big.drawing.rendered().isFilled(big.cells[480], with: Colormap.rdbu.entry(255)))
    }

    // Colour mode: filter 0 has R = +1, G = B = −1 → after its own min..max stretch pure red;
    // filter 1 is filter 0 × 0.01 and looks the same (per-filter normalisation); filter 2 is constant → grey.
    @Test func rgbFiltersAreColourTilesNormalisedPerFilter() throws {
        let plane = 25
        var w = [Float]()
        let f0 = [Float](repeating: 1, count: plane) + [Float](repeating: -1, count: 2 * plane)
        w += f0
        w += f0.map { $0 * 0.01 }
        w += [Float](repeating: 0.3, count: 3 * plane)
        var f3 = [Float](repeating: 0, count: 3 * plane)
        f3[2 * plane + 12] = 2  // blue centre, zero elsewhere → black with one blue pixel
        w += f3
        let (drawing, layout) = try FilterGrid.draw(weights: Tensor(shape: [4, 3, 5, 5], storage: w), title: "conv1")
        let canvas = try drawing.rendered()
        let image = canvas
        RenderDump.write(image, "filters_rgb")
        #expect(layout.mode == .color && layout.shownFilters == 4 && layout.scale == 8)
        #expect(layout.cells[0][0].width == 40 && layout.cells[0][0].height == 40)
        #expect(image.isFilled(layout.cells[0][0], with: RGB(255, 0, 0)))
        #expect(image.isFilled(layout.cells[1][0], with: RGB(255, 0, 0)))
        #expect(image.isFilled(layout.cells[2][0], with: RGB(grey: 128)))
        let c3 = layout.cells[3][0]
        #expect(image.isFilled(PixelRect(x: c3.x + 16, y: c3.y + 16, width: 8, height: 8), with: RGB(0, 0, 255)))
        #expect(image.rgb(c3.x, c3.y) == .black)
    }

    // Channel mode: rows = filters (≤ 32), columns = input channels (≤ 16), one ±max|w| range.
    @Test func otherFiltersAreOneRowPerFilterCapped() throws {
        var w = [Float](repeating: 0, count: 40 * 20 * 9)
        w[0] = 4  // filter 0, channel 0, top-left
        w[(1 * 20 + 2) * 9 + 4] = -4  // filter 1, channel 2, centre
        let (drawing, layout) = try FilterGrid.draw(weights: Tensor(shape: [40, 20, 3, 3], storage: w), title: "conv2")
        let canvas = try drawing.rendered()
        let image = canvas
        RenderDump.write(image, "filters_channels")
        #expect(layout.mode == .channels && layout.shownFilters == 32 && layout.shownInputs == 16)
        #expect(layout.cells.count == 32 && layout.cells[0].count == 16 && layout.scale == 8)
        let c00 = layout.cells[0][0], c12 = layout.cells[1][2]
        #expect(c00.width == 24 && c12.x - c00.x == 2 * 26 && c12.y - c00.y == 26)
        #expect(image.isFilled(PixelRect(x: c00.x, y: c00.y, width: 8, height: 8), with: Colormap.rdbu.entry(255)))
        #expect(image.isFilled(PixelRect(x: c00.x + 8, y: c00.y, width: 8, height: 8), with: Colormap.rdbu.entry(128)))
        #expect(image.isFilled(PixelRect(x: c12.x + 8, y: c12.y + 8, width: 8, height: 8), with: Colormap.rdbu.entry(0)))
        // A single input channel: one column.
        let one = try FilterGrid.draw(weights: Tensor(shape: [6, 1, 5, 5], repeating: 1), title: "lenet conv1")
        #expect(one.layout.mode == .channels && one.layout.shownInputs == 1 && one.layout.shownFilters == 6)
        #expect(throws: RenderError.self) { try FilterGrid.render(weights: Tensor(shape: [6, 5, 5]), title: "x") }
        #expect(throws: RenderError.self) { try FilterGrid.render(weights: Tensor(shape: [6, 0, 5, 5]), title: "x") }
    }
}
