import Foundation
import Testing
@testable import FeatMapKit

/// The overview picture of `featmap layers` and the pooling-layer view of `--pool-views`.
@Suite struct AnalysisOverviewTests {
    @Test func rowsInOrderWithTextBeside() throws {
        var overview = Overview(title: "overview", maximumPictureWidth: 120)
        overview.addInput(Image(width: 28, height: 28, channels: 1, repeating: 200), lines: ["input", "1×28×28"])
        // 250 px wide: shrunk by ⌈250/120⌉ = 3 to 83×20, each pixel about the mean of a 3×3 block
        // (Cairo's box filter, within 2 levels).
        var wide = Canvas(width: 250, height: 60, background: RGB(10, 20, 30))
        wide.fillRect(x: 0, y: 0, width: 3, height: 3, color: RGB(100, 100, 100))
        wide.fillRect(x: 0, y: 0, width: 1, height: 3, color: RGB(190, 190, 190))
        overview.add(wide.image, lines: Overview.lines(name: "pool2", op: "MaxPool", shape: [16, 5, 5],
                                                       field: .spatial(ReceptiveField(size: Pair(16, 16), jump: Pair(4, 4), padding: Pair(2, 2)))))
        #expect(overview.rows[1].lines == ["pool2", "MaxPool", "16×5×5", "RF 16×16 px", "stride 4"])
        let (drawing, layout) = try overview.draw()
        let canvas = try drawing.rendered()
        #expect(canvas.width == layout.width && canvas.height == layout.height)
        // Input enlarged ⌊112/28⌋ = 4 times; the second picture below it, shrunk.
        #expect(layout.pictures[0].width == 112 && layout.pictures[0].height == 112)
        #expect(layout.pictures[1].width == 83 && layout.pictures[1].height == 20)
        #expect(layout.pictures[1].y > layout.pictures[0].maxY)
        #expect(canvas[layout.pictures[0].x + 50, layout.pictures[0].y + 50] == RGB(grey: 200))
        // (190 + 2·100)/3 = 130 in the first shrunk pixel; the background elsewhere.
        let first = canvas[layout.pictures[1].x, layout.pictures[1].y]
        #expect(first.r == first.g && first.g == first.b && abs(Int(first.r) - 130) <= 2, "\(first)")
        #expect(canvas[layout.pictures[1].x + 40, layout.pictures[1].y + 10] == RGB(10, 20, 30))
        // Text beside each picture: dark pixels in the first line's box, left of the picture.
        let t = layout.texts[1]
        var dark = 0
        for y in t.y..<(t.y + 13) { for x in t.x..<(t.x + 30) where canvas[x, y].luma < 80 { dark += 1 } }
        #expect(dark > 10)
        #expect(t.x + 30 < layout.pictures[1].x)
    }

    /// A deep network's overview stops at `maximumHeight`: rows of 40 pixels with 12 between them fill
    /// 40, then 52 + 40 = 92 ≤ 100, and the third (144) would pass it, so it and every later row (even a
    /// short one) are counted as omitted and the overview stays a prefix of the layers.
    @Test func overviewStopsAtItsHeight() throws {
        var overview = Overview(title: "deep", maximumHeight: 100)
        for _ in 0..<3 { overview.add(Image(width: 10, height: 40, channels: 1, repeating: 0), lines: ["layer"]) }
        overview.add(Image(width: 10, height: 1, channels: 1, repeating: 0), lines: ["short"])
        #expect(overview.rows.count == 2 && overview.omitted == 2)
        #expect(overview.rows.allSatisfy { $0.lines == ["layer"] })
    }

    @Test func poolingLayerViewHasOnePairPerChannel() throws {
        let input = Tensor(shape: [2, 4, 4], storage: (0..<32).map(Float.init))
        let pooling = Pooling(kind: .max, kernel: Pair(2, 2))
        let output = try pooling.applied(to: input)
        let image = try PoolingPicture.layer(input: input, output: output, pooling: pooling, title: "pool")
        // Two channels on one line of up to four: panel scale min(32, 160 / 4) = 32 → 128 px panels.
        let rows = (0..<2).map { c in
            PoolingPicture.Row(label: "c\(c)", input: Array(input.storage[(c * 16)..<((c + 1) * 16)]),
                               output: Array(output.storage[(c * 4)..<((c + 1) * 4)]))
        }
        let layout = try PoolingPicture.draw(rows: rows, height: 4, width: 4, pooling: pooling, title: "pool",
                                             caption: "per channel: input maps with the 2×2 windows (stride 2), red = winning cell; pooled maps beside them",
                                             columns: 4, panelSide: 160).layout
        #expect(image.width == layout.width && image.height == layout.height)
        #expect(layout.inputOrigins[1].y == layout.inputOrigins[0].y && layout.inputOrigins[1].x > layout.outputOrigins[0].x)
        let canvas = try image.rendered()
        // Channel 1's first window wins at its cell (1, 1) = value 21.
        let o = layout.inputOrigins[1]
        #expect(canvas[o.x + 32 + 16, o.y + 32] == PoolingPicture.winnerColor)
        #expect(canvas[o.x + 16, o.y + 32] != PoolingPicture.winnerColor)
    }
}
