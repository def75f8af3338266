import Foundation
import Testing
@testable import FeatMapKit

/// `LineChart`: ticks, the layout worked out by hand from the font's metrics, the strokes and markers
/// in the drawing, and the rendered pixels and SVG text.
@Suite struct LineChartTests {
    static func sample(reference: Bool = true, title: String? = "T") -> LineChart {
        LineChart(title: title, xLabel: "shift", yLabel: "error",
                  series: [LineChart.Series(name: "conv1 (Conv)", points: [(-2, 0), (-1, 0.5), (0, 1), (1, nil), (2, 0.25)],
                                            color: RGB(200, 0, 0), stroke: .solid, marker: .square),
                           LineChart.Series(name: "pool1 (MaxPool)", points: [(-2, 0.2), (2, 0.2)],
                                            color: RGB(0, 0, 200), stroke: .dashed, marker: .hollowSquare)],
                  reference: reference ? LineChart.Reference(value: 0.8, label: "reference 0.8") : nil,
                  plotWidth: 200, plotHeight: 100)
    }

    @Test func ticksAreNiceValuesCoveringTheRange() {
        #expect(LineChart.ticks(lo: 0, hi: 1).values == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(LineChart.ticks(lo: -4, hi: 4, target: 9, integers: true).values == Array(-4...4).map(Double.init))
        #expect(LineChart.ticks(lo: 68.3, hi: 99.1).values == [60, 70, 80, 90, 100])
        #expect(LineChart.ticks(lo: 0, hi: 1300, target: 6).values == [0, 500, 1000, 1500])
        #expect(LineChart.tickText(-0.4, step: 0.2) == "−0.4")
        #expect(LineChart.tickText(3, step: 1) == "3")
    }

    @Test func layoutByHand() {
        let chart = Self.sample()
        let l = chart.layout()
        let small = Typeface.small, body = Typeface.body
        // y ticks 0, 0.2, …, 1 (labels "0.0" … "1.0"); x ticks −2 … 2.
        #expect(l.yTickLabels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(l.xTickLabels == ["−2", "−1", "0", "1", "2"])
        let widest = ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"].map { small.width(of: $0) }.max()!
        #expect(l.plot.x == 8 + widest + 4 + 6)
        #expect(l.plot.y == 8 + Typeface.title.lineHeight + 6 + body.lineHeight + 6)
        #expect(l.plot.width == 200 && l.plot.height == 100)
        #expect(l.px(-2) == Double(l.plot.x) && l.px(2) == Double(l.plot.maxX - 1))
        #expect(l.py(0) == Double(l.plot.maxY - 1) && l.py(1) == Double(l.plot.y))
        #expect(l.px(0) == Double(l.plot.x) + 99.5)
        // Legend: 12 px right of the plot, entries max(line height, 10) + 4 apart, the reference last.
        let step = max(small.lineHeight, 10) + 4
        #expect(l.legend.count == 3)
        #expect(l.legend.map(\.x) == [l.plot.maxX + 12, l.plot.maxX + 12, l.plot.maxX + 12])
        #expect(l.legend.map(\.y) == [l.plot.y, l.plot.y + step, l.plot.y + 2 * step])
        let legendWidth = 28 + 6 + ["conv1 (Conv)", "pool1 (MaxPool)", "reference 0.8"].map { small.width(of: $0) }.max()!
        #expect(l.width == l.plot.maxX + 12 + legendWidth + 8)
        #expect(l.xLabelTop == l.plot.maxY + 4 + 2 + small.lineHeight + 6)
        #expect(l.height == l.xLabelTop + body.lineHeight + 8)
        // Without a title the plot moves up by the title's line and gap.
        #expect(Self.sample(title: nil).layout().plot.y == l.plot.y - Typeface.title.lineHeight - 6)
    }

    @Test func strokesMarkersAndGaps() {
        let d = Self.sample(reference: false).drawing()
        func lines(_ color: RGB) -> [(Double, Double, Double, Double)] {
            d.items.compactMap { if case let .line(x0, y0, x1, y1, c, _) = $0, c == color { return (x0, y0, x1, y1) } else { return nil } }
        }
        // Solid: one segment per pair of neighbours, none across the nil (−2→−1, −1→0), plus the legend's sample.
        #expect(lines(RGB(200, 0, 0)).count == 3)
        // Dashed: 6 on, 4 off along the 199-px line: 20 dashes, plus the 28-px legend sample (3 dashes).
        #expect(lines(RGB(0, 0, 200)).count == 20 + 3)
        let squares = d.items.filter { if case let .rect(r, c) = $0 { return c == RGB(200, 0, 0) && r.width == 5 && r.height == 5 } else { return false } }
        #expect(squares.count == 4 + 1)   // four points with values, and the legend
    }

    @Test func renderedLinesAndLegendText() throws {
        let chart = Self.sample()
        let l = chart.layout()
        let canvas = try chart.drawing().rendered()
        func pixel(_ x: Int, _ y: Int) -> RGB {
            let i = (y * canvas.width + x) * 3
            return RGB(canvas.pixels[i], canvas.pixels[i + 1], canvas.pixels[i + 2])
        }
        #expect(canvas.width == l.width && canvas.height == l.height)
        // Halfway between the points at x = −2 (y 0) and −1 (y 0.5) the red line passes at y 0.25.
        let x = Int(((l.px(-2) + l.px(-1)) / 2).rounded(.down)), y = Int(l.py(0.25).rounded(.down))
        let p = pixel(x, y)
        #expect(p.r > 150 && p.g < 100 && p.b < 100, "\(p)")
        // The frame's left edge is dark; the plot's inside away from lines is white.
        #expect(pixel(l.plot.x, l.plot.y + 50).r < 80)
        #expect(pixel(Int(l.px(1)), Int(l.py(0.5))) == .white)
        let svg = String(decoding: try chart.drawing().vectorData(.svg), as: UTF8.self)
        for text in ["conv1 (Conv)", "pool1 (MaxPool)", "reference 0.8", "shift", "error", "−2", "0.8"] {
            #expect(svg.contains(">\(text)<"), "\(text)")
        }
    }

    @Test func shiftChartsTellConvAndPoolApart() throws {
        let e = ShiftExperiment(shifts: [-1, 0, 1], axis: .x, fill: .zero, layers: [
            .init(index: 0, name: "conv1", op: "Conv", jump: [1, 1], kind: .conv, equivarianceError: [0, 0, 0], invarianceError: [0.5, 0, 0.5]),
            .init(index: 2, name: "pool1", op: "MaxPool", jump: [2, 2], kind: .pool, equivarianceError: [nil, 0, nil], invarianceError: [0.3, 0, 0.4]),
        ], top: [])
        let c = e.chart(equivariance: false)
        #expect(c.series.map(\.stroke) == [.solid, .dashed])
        #expect(c.series.map(\.marker) == [.square, .hollowSquare])
        #expect(e.errorRange == 0...0.5)
        let report = DatasetShiftReport(dataset: "d", axis: .x, fill: .zero,
                                        accuracy: [ShiftAccuracy(shift: -1, correct: 8, total: 10), ShiftAccuracy(shift: 0, correct: 9, total: 10)],
                                        unshifted: ShiftAccuracy(shift: 0, correct: 9, total: 10))
        let a = report.chart()
        #expect(a.reference?.value == 90 && a.reference?.label == "unshifted 90.00%")
        #expect(a.series[0].points.map(\.y) == [80, 90])
    }
}
