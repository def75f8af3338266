import Foundation
import Testing
@testable import FeatMapKit

/// The pooling before/after picture, and the shift comparison behind `featmap pool --shift`.
@Suite struct PoolingPictureTests {
    /// 4×4 input 0…15 row-major: 2×2 max windows win at the bottom-right cell of each (5, 7, 13, 15), by hand;
    /// the window, winner and output rectangles by hand from the scale; the colours are featmap's own palette.
    @Test func windowsWinnersAndAlignedOutput() throws {
        let input = (0..<16).map(Float.init)
        let pooling = Pooling(kind: .max, kernel: Pair(2, 2))
        let pooled = try pooling.applied(to: Tensor(shape: [1, 4, 4], storage: input)).storage
        #expect(pooled == [5, 7, 13, 15])
        let winners = try pooling.winners(plane: input[...], height: 4, width: 4)
        #expect(winners == [5, 7, 13, 15])
        let row = PoolingPicture.Row(label: "grey", input: input, output: pooled, winners: winners, highlighted: [3])
        let (drawing, layout) = try PoolingPicture.draw(rows: [row], height: 4, width: 4, pooling: pooling, title: "t", caption: "c")
        let canvas = try drawing.rendered()
        #expect(canvas.width == layout.width && canvas.height == layout.height)
        let s = layout.scale
        #expect(s == 32)  // min(32, 360 / 4)
        let o = layout.inputOrigins[0]
        // Window (0, 1) covers input columns 2–3, rows 0–1, outlined in the second window colour.
        #expect(layout.windows[0][1] == PixelRect(x: o.x + 2 * s, y: o.y, width: 2 * s, height: 2 * s))
        #expect(canvas[o.x + 2 * s + 5, o.y] == PoolingPicture.windowColors.1)
        #expect(canvas[o.x + 5, o.y] == PoolingPicture.windowColors.0)
        // Winner of window 0 is cell (1, 1): framed in red.
        #expect(layout.winnerCells[0][0] == PixelRect(x: o.x + s, y: o.y + s, width: s, height: s))
        #expect(canvas[o.x + s + s / 2, o.y + s + 1] == PoolingPicture.winnerColor)
        // Output cell (1, 0) sits where its window starts on the right, stride 2 → 2·32 px, and has the
        // grey of value 13 on the shared 0…15 range: entry ⌊256·13/15⌋ = 221.
        let cell = layout.outputCells[0][2]
        let q = layout.outputOrigins[0]
        #expect(cell == PixelRect(x: q.x, y: q.y + 2 * s, width: 2 * s, height: 2 * s))
        #expect(canvas[cell.x + s, cell.y + s] == Colormap.grey.rgb(at: 13 / 15))
        // The unchanged cell 3 is outlined in green.
        let last = layout.outputCells[0][3]
        #expect(canvas[last.x + s, last.y + 1] == PoolingPicture.unchangedColor)
    }

    /// Geometry against NumPy (Fixtures/render/pool-geometry.json, made by Tests/scripts/picture_geometry_fixtures.py
    /// from a seeded 9×13 plane with ties and two constant windows): the pooled values, each window's first
    /// cell (oy·s − p, ox·s − p), and each window's winner, np.argmax over its in-image cells (none where they
    /// are all equal); in the picture, every window outlined from its first cell, every output cell where its
    /// window starts, and a red frame on exactly NumPy's winning cells, nowhere else.
    @Test(arguments: 0..<3)
    func windowsAndWinnersMatchNumPy(index: Int) throws {
        let url = Bundle.module.url(forResource: "Fixtures/render", withExtension: nil)!.appendingPathComponent("pool-geometry.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let (h, w) = ((root["height"] as! NSNumber).intValue, (root["width"] as! NSNumber).intValue)
        let plane = (root["plane"] as! [NSNumber]).map(\.floatValue)
        let c = (root["cases"] as! [[String: Any]])[index]
        let (k, st, p) = ((c["kernel"] as! NSNumber).intValue, (c["stride"] as! NSNumber).intValue, (c["padding"] as! NSNumber).intValue)
        let size = (c["outputSize"] as! [NSNumber]).map(\.intValue)
        let starts = (c["starts"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].intValue) }
        let numpyWinners = (c["winners"] as! [Any]).map { ($0 as? NSNumber)?.intValue }
        let pooling = Pooling(kind: .max, kernel: Pair(both: k), stride: Pair(both: st), padding: Padding(all: p), ceilMode: c["ceil"] as! Bool)
        let pooled = try pooling.applied(to: Tensor(shape: [1, h, w], storage: plane))
        #expect(pooled.shape == [1, size[0], size[1]])
        #expect(pooled.storage == (c["pooled"] as! [NSNumber]).map(\.floatValue))
        let winners = try pooling.winners(plane: plane[...], height: h, width: w, skippingTies: true)
        #expect(winners == numpyWinners)
        let row = PoolingPicture.Row(label: "g", input: plane, output: pooled.storage, winners: winners)
        let (drawing, layout) = try PoolingPicture.draw(rows: [row], height: h, width: w, pooling: pooling, title: "t", caption: "c")
        let canvas = try drawing.rendered()
        let s = layout.scale, o = layout.inputOrigins[0], q = layout.outputOrigins[0]
        #expect(s >= 3, "winners are framed from 3 px per cell")
        let cell = min(k, st)
        for (i, (y0, x0)) in starts.enumerated() {
            #expect(layout.windows[0][i] == PixelRect(x: o.x + x0 * s, y: o.y + y0 * s, width: k * s, height: k * s), "window \(i)")
            #expect(layout.outputCells[0][i] == PixelRect(x: q.x + x0 * s, y: q.y + y0 * s, width: cell * s, height: cell * s), "output \(i)")
        }
        let framed = Set(numpyWinners.compactMap { $0 })
        for i in 0..<(h * w) {
            let top = canvas[o.x + (i % w) * s + s / 2, o.y + (i / w) * s]
            #expect((top == PoolingPicture.winnerColor) == framed.contains(i), "cell (\(i / w), \(i % w))")
        }
    }

    /// Overlapping 3×3 windows at stride 2 on 5×5 (output 2×2): lines at the window starts, and the first and
    /// middle windows — (0, 0) and (1, 1) — outlined whole in orange. Positions by hand; colours are featmap's.
    @Test func overlappingWindowsShowStartsAndTwoWholeWindows() throws {
        let pooling = Pooling(kind: .average, kernel: Pair(3, 3), stride: Pair(2, 2))
        #expect(PoolingPicture.overlaps(pooling))
        #expect(!PoolingPicture.overlaps(Pooling(kind: .max, kernel: Pair(2, 2))))
        let input = (0..<25).map(Float.init)
        let output = try pooling.applied(to: Tensor(shape: [1, 5, 5], storage: input)).storage
        let (drawing, layout) = try PoolingPicture.draw(rows: [.init(label: "g", input: input, output: output)], height: 5, width: 5,
                                                        pooling: pooling, title: "t", caption: "c")
        let canvas = try drawing.rendered()
        let s = layout.scale, o = layout.inputOrigins[0]
        #expect(s == 32)  // min(32, 360 / 5) with the grid 5 cells wide
        // Window (0, 1) starts at column 2: a blue start line there, not a whole orange outline.
        #expect(canvas[o.x + 2 * s, o.y + 10] == PoolingPicture.windowColors.0)
        // The first window's bottom edge (row 3·32 − 1) is orange, and so is the middle window's right edge.
        #expect(canvas[o.x + 40, o.y + 3 * s - 1] == PoolingPicture.windowColors.1)
        let middle = layout.windows[0][3]
        #expect(middle == PixelRect(x: o.x + 2 * s, y: o.y + 2 * s, width: 3 * s, height: 3 * s))
        #expect(canvas[middle.maxX - 1, middle.y + 50] == PoolingPicture.windowColors.1)
    }

    /// Ties: a constant window has no winner when asked to skip ties.
    /// Marks are drawn in cell order, never in a Set's order (which differs from process to process, and
    /// where antialiased strokes overlap the order changes pixels): the same picture in every run.
    @Test func highlightedCellsAreOutlinedInCellOrder() throws {
        let input = (0..<64).map(Float.init)
        let pooling = Pooling(kind: .max, kernel: Pair(2, 2))
        let pooled = try pooling.applied(to: Tensor(shape: [1, 8, 8], storage: input)).storage
        let row = PoolingPicture.Row(label: "grey", input: input, output: pooled, highlighted: Set(0..<16))
        let (drawing, layout) = try PoolingPicture.draw(rows: [row], height: 8, width: 8, pooling: pooling, title: "t", caption: "c")
        // strokeRect makes four rectangles per cell, the top edge first, at the cell's corner.
        let tops = drawing.items.compactMap { item -> PixelRect? in
            if case let .rect(r, color) = item, color == PoolingPicture.unchangedColor { return r }
            return nil
        }.enumerated().filter { $0.offset % 4 == 0 }.map { PixelPoint(x: $0.element.x, y: $0.element.y) }
        #expect(tops == layout.outputCells[0].map { PixelPoint(x: $0.x, y: $0.y) })
    }

    @Test func constantWindowsHaveNoWinner() throws {
        let pooling = Pooling(kind: .max, kernel: Pair(2, 2))
        let plane: [Float] = [1, 1, 0, 2, 1, 1, 0, 0]
        #expect(try pooling.winners(plane: plane[...], height: 2, width: 4, skippingTies: true) == [nil, 3])
        #expect(try pooling.winners(plane: plane[...], height: 2, width: 4) == [0, 3])
    }

    /// Shifting by one column: the 1×4 rows [1 3 2 2] → edge-repeated shift [1 1 3 2]; 2×1 windows with stride
    /// 2 on one row: before max(1,3) = 3, max(2,2) = 2; after max(1,1) = 1, max(3,2) = 3 — nothing unchanged.
    /// A second row [5 5 5 5] stays 5, 5: two of four pooled values unchanged.
    @Test func shiftComparisonCountsUnchangedValues() throws {
        let pooling = Pooling(kind: .max, kernel: Pair(1, 2))
        let c = try ShiftComparison(input: Tensor(shape: [1, 2, 4], storage: [1, 3, 2, 2, 5, 5, 5, 5]), pooling: pooling, shift: Pair(0, 1))
        #expect(c.shiftedInput.storage == [1, 1, 3, 2, 5, 5, 5, 5])
        #expect(c.pooled.storage == [3, 2, 5, 5])
        #expect(c.shiftedPooled.storage == [1, 3, 5, 5])
        #expect(c.unchanged == [2, 3])
        #expect(c.unchangedFraction == 0.5)
    }
}
