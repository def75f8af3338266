import Foundation

/// A line chart built as a `Drawing` (so PNG, SVG and PDF alike): a framed plot area with ticks at
/// "nice" values (1, 2 or 5 × 10ᵏ apart) and their labels, the axis labels, one polyline per series
/// (its colour, a solid, dashed or dotted stroke, and a marker at each point; a nil value breaks the
/// line), an optional horizontal reference line with its label, and a legend to the right of the plot.
///
/// Layout, in picture pixels: the title's line height on top (when there is a title) plus the y label's
/// line above the plot; the widest y tick label + 4 px tick + 6 px on the left; tick labels and the x
/// label below; the legend (sample 28 px + 6 px + widest name) 12 px right of the plot. `layout()`
/// exposes every position, so that callers and tests can place things by it.
public struct LineChart: Sendable {
    public enum Stroke: String, Sendable, CaseIterable { case solid, dashed, dotted }
    public enum Marker: String, Sendable, CaseIterable { case none, square, hollowSquare, diamond }

    public struct Series: Sendable {
        public var name: String
        /// (x, y) points in order; y nil leaves a gap.
        public var points: [(x: Double, y: Double?)]
        public var color: RGB
        public var stroke: Stroke
        public var marker: Marker

        public init(name: String, points: [(x: Double, y: Double?)], color: RGB, stroke: Stroke = .solid, marker: Marker = .square) {
            self.name = name; self.points = points; self.color = color; self.stroke = stroke; self.marker = marker
        }
    }

    /// A marked value on the y axis: a grey dashed line across the plot with its label.
    public struct Reference: Sendable {
        public var value: Double
        public var label: String
        public init(value: Double, label: String) { self.value = value; self.label = label }
    }

    public var title: String?
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var reference: Reference?
    /// Size of the plot area (the frame), in pixels.
    public var plotWidth: Int
    public var plotHeight: Int
    /// Fixed y range; nil: from the data (and the reference), widened to whole ticks.
    public var yRange: ClosedRange<Double>?
    /// Formats tick values (default: as few decimals as the step needs).
    public var yFormat: (@Sendable (Double) -> String)?

    /// Ten distinguishable colours (Tableau 10), for series in order.
    public static let palette: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
    ]

    public init(title: String? = nil, xLabel: String, yLabel: String, series: [Series], reference: Reference? = nil,
                plotWidth: Int = 420, plotHeight: Int = 260, yRange: ClosedRange<Double>? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.reference = reference; self.plotWidth = max(40, plotWidth); self.plotHeight = max(40, plotHeight)
        self.yRange = yRange
    }

    // MARK: Ticks

    /// Ticks from lo to hi about `target` apart in count: multiples of 1, 2 or 5 × 10ᵏ, covering [lo, hi].
    public static func ticks(lo: Double, hi: Double, target: Int = 6, integers: Bool = false) -> (values: [Double], step: Double) {
        var (a, b) = (lo, hi)
        if !(b > a) { a -= 0.5; b += 0.5 }
        let raw = (b - a) / Double(max(1, target - 1))
        let power = pow(10, floor(log10(raw)))
        var step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw * 0.999 } ?? 10 * power
        if integers { step = max(1, step.rounded()) }
        let first = floor(a / step + 1e-9) * step, last = ceil(b / step - 1e-9) * step
        let n = Int(((last - first) / step).rounded())
        return ((0...n).map { ((first + Double($0) * step) * 1e12).rounded() / 1e12 }, step)
    }

    /// The text of a tick value with the decimals its step needs.
    public static func tickText(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int(ceil(-log10(step) - 1e-9)))
        let t = String(format: "%.\(decimals)f", abs(v) < step * 1e-6 ? 0 : v)
        return t.replacingOccurrences(of: "-", with: "−")
    }

    // MARK: Layout

    public struct Layout: Sendable {
        public var width: Int, height: Int
        /// The frame of the plot area.
        public var plot: PixelRect
        public var xTicks: [Double], yTicks: [Double]
        public var xTickLabels: [String], yTickLabels: [String]
        public var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
        /// Top-left of each legend entry (series in order, then the reference when there is one).
        public var legend: [PixelPoint]
        public var titleTop: Int?
        /// Where the y label's line starts (its top), and the x label's (its top; centred on the plot).
        public var yLabelTop: Int, xLabelTop: Int

        /// The picture x of data x.
        public func px(_ x: Double) -> Double {
            let span = xRange.upperBound - xRange.lowerBound
            return Double(plot.x) + (x - xRange.lowerBound) / span * Double(plot.width - 1)
        }
        /// The picture y of data y (up is larger).
        public func py(_ y: Double) -> Double {
            let span = yRange.upperBound - yRange.lowerBound
            return Double(plot.y + plot.height - 1) - (y - yRange.lowerBound) / span * Double(plot.height - 1)
        }
    }

    static let tickLength = 4, gap = 6, legendSample = 28, legendGap = 12
    static let font = Typeface.small, labelFont = Typeface.body

    public func layout() -> Layout {
        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.compactMap(\.y) } + (reference.map { [$0.value] } ?? [])
        let xt = LineChart.ticks(lo: xs.min() ?? 0, hi: xs.max() ?? 1, target: 9, integers: xs.allSatisfy { $0 == $0.rounded() })
        let yt: (values: [Double], step: Double)
        if let yRange {
            let t = LineChart.ticks(lo: yRange.lowerBound, hi: yRange.upperBound, target: 6)
            yt = (t.values.filter { $0 >= yRange.lowerBound - 1e-9 && $0 <= yRange.upperBound + 1e-9 }, t.step)
        } else {
            yt = LineChart.ticks(lo: ys.min() ?? 0, hi: ys.max() ?? 1, target: 6)
        }
        let xLabels = xt.values.map { LineChart.tickText($0, step: xt.step) }
        let yLabels = yt.values.map { yFormat?($0) ?? LineChart.tickText($0, step: yt.step) }
        let f = LineChart.font, lf = LineChart.labelFont
        let titleH = title == nil ? 0 : Typeface.title.lineHeight + LineChart.gap
        let top = 8 + titleH + lf.lineHeight + LineChart.gap
        let left = 8 + (yLabels.map { f.width(of: $0) }.max() ?? 0) + LineChart.tickLength + LineChart.gap
        let plot = PixelRect(x: left, y: top, width: plotWidth, height: plotHeight)
        let xLabelTop = plot.maxY + LineChart.tickLength + 2 + f.lineHeight + LineChart.gap
        let names = series.map(\.name) + (reference.map { [$0.label] } ?? [])
        let legendX = plot.maxX + LineChart.legendGap
        let entryH = max(f.lineHeight, 10) + 4
        let legend = names.indices.map { PixelPoint(x: legendX, y: plot.y + $0 * entryH) }
        let legendW = names.isEmpty ? 0 : LineChart.legendSample + LineChart.gap + (names.map { f.width(of: $0) }.max() ?? 0)
        let width = max(legendX + legendW + 8, left + f.width(of: yLabel) + 8)
        let height = max(xLabelTop + lf.lineHeight + 8, plot.y + names.count * entryH + 8)
        let xr = (xt.values.first ?? 0)...(xt.values.last ?? 1)
        let yr = yRange ?? ((yt.values.first ?? 0)...(yt.values.last ?? 1))
        return Layout(width: width, height: height, plot: plot, xTicks: xt.values, yTicks: yt.values,
                      xTickLabels: xLabels, yTickLabels: yLabels,
                      xRange: xr.lowerBound < xr.upperBound ? xr : (xr.lowerBound - 1)...(xr.upperBound + 1),
                      yRange: yr.lowerBound < yr.upperBound ? yr : (yr.lowerBound - 1)...(yr.upperBound + 1),
                      legend: legend, titleTop: title == nil ? nil : 8,
                      yLabelTop: 8 + titleH, xLabelTop: xLabelTop)
    }

    // MARK: Drawing

    static let axisColor = RGB(grey: 40), gridColor = RGB(grey: 232), referenceColor = RGB(grey: 110)

    /// A stroke between two points: whole, or as dashes (6 on, 4 off) or dots (2 on, 3 off), phase carried along the polyline.
    static func stroke(_ d: inout Drawing, from a: (Double, Double), to b: (Double, Double), color: RGB, style: Stroke,
                       width: Double, phase: inout Double) {
        guard style != .solid else { d.line(x0: a.0, y0: a.1, x1: b.0, y1: b.1, color: color, thickness: width); return }
        let (on, off) = style == .dashed ? (6.0, 4.0) : (2.0, 3.0)
        let length = hypot(b.0 - a.0, b.1 - a.1)
        guard length > 0 else { return }
        var t = 0.0
        while t < length {
            let cycle = phase.truncatingRemainder(dividingBy: on + off)
            let drawing = cycle < on
            let step = min(length - t, drawing ? on - cycle : on + off - cycle)
            if drawing {
                let s = t / length, e = (t + step) / length
                d.line(x0: a.0 + (b.0 - a.0) * s, y0: a.1 + (b.1 - a.1) * s, x1: a.0 + (b.0 - a.0) * e, y1: a.1 + (b.1 - a.1) * e,
                       color: color, thickness: width)
            }
            t += step; phase += step
        }
    }

    static func mark(_ d: inout Drawing, at x: Double, _ y: Double, marker: Marker, color: RGB) {
        let cx = Int(x.rounded(.down)), cy = Int(y.rounded(.down))
        switch marker {
        case .none: return
        case .square: d.fillRect(x: cx - 2, y: cy - 2, width: 5, height: 5, color: color)
        case .hollowSquare:
            d.fillRect(x: cx - 3, y: cy - 3, width: 7, height: 7, color: .white)
            d.strokeRect(x: cx - 3, y: cy - 3, width: 7, height: 7, color: color)
        case .diamond:
            let (px, py) = (Double(cx) + 0.5, Double(cy) + 0.5)
            for (a, b) in [((0.0, -4.0), (4.0, 0.0)), ((4, 0), (0, 4)), ((0, 4), (-4, 0)), ((-4, 0), (0, -4))] {
                d.line(x0: px + a.0, y0: py + a.1, x1: px + b.0, y1: py + b.1, color: color, thickness: 1.5)
            }
        }
    }

    public func drawing() -> Drawing {
        let l = layout()
        var d = Drawing(width: l.width, height: l.height)
        let f = LineChart.font, lf = LineChart.labelFont, p = l.plot
        if let title, let top = l.titleTop { d.text(title, x: p.x, y: top, color: .black, font: .title) }
        d.text(yLabel, x: 8, y: l.yLabelTop, color: .black, font: lf)
        d.text(xLabel, x: p.x + p.width / 2, y: l.xLabelTop, color: .black, font: lf, anchor: .middle)
        // Grid lines at the y ticks, then the frame, ticks and labels.
        for v in l.yTicks {
            let y = Int(l.py(v).rounded(.down))
            d.fillRect(x: p.x + 1, y: y, width: p.width - 2, height: 1, color: LineChart.gridColor)
        }
        d.strokeRect(p, color: LineChart.axisColor)
        for (v, text) in zip(l.xTicks, l.xTickLabels) {
            let x = Int(l.px(v).rounded(.down))
            d.fillRect(x: x, y: p.maxY, width: 1, height: LineChart.tickLength, color: LineChart.axisColor)
            d.text(text, x: x, y: p.maxY + LineChart.tickLength + 2, color: .black, font: f, anchor: .middle)
        }
        for (v, text) in zip(l.yTicks, l.yTickLabels) {
            let y = Int(l.py(v).rounded(.down))
            d.fillRect(x: p.x - LineChart.tickLength, y: y, width: LineChart.tickLength, height: 1, color: LineChart.axisColor)
            d.text(text, x: p.x - LineChart.tickLength - 3, y: y - f.lineHeight / 2, color: .black, font: f, anchor: .end)
        }
        if let reference {
            var phase = 0.0
            let y = l.py(reference.value)
            LineChart.stroke(&d, from: (Double(p.x + 1), y + 0.5), to: (Double(p.maxX - 1), y + 0.5), color: LineChart.referenceColor,
                             style: .dashed, width: 1, phase: &phase)
        }
        for s in series {
            var previous: (Double, Double)? = nil, phase = 0.0
            for point in s.points {
                guard let y = point.y else { previous = nil; phase = 0; continue }
                let q = (l.px(point.x) + 0.5, l.py(y) + 0.5)
                if let previous { LineChart.stroke(&d, from: previous, to: q, color: s.color, style: s.stroke, width: 2, phase: &phase) }
                previous = q
            }
            for point in s.points { if let y = point.y { LineChart.mark(&d, at: l.px(point.x) + 0.5, l.py(y) + 0.5, marker: s.marker, color: s.color) } }
        }
        // Legend.
        let entryMid = max(f.lineHeight, 10) / 2
        for (i, s) in series.enumerated() {
            let o = l.legend[i]
            var phase = 0.0
            let y = Double(o.y + entryMid) + 0.5
            LineChart.stroke(&d, from: (Double(o.x), y), to: (Double(o.x + LineChart.legendSample), y), color: s.color, style: s.stroke, width: 2, phase: &phase)
            LineChart.mark(&d, at: Double(o.x + LineChart.legendSample / 2), y, marker: s.marker, color: s.color)
            d.text(s.name, x: o.x + LineChart.legendSample + LineChart.gap, y: o.y + entryMid - f.lineHeight / 2, color: .black, font: f)
        }
        if let reference, let o = l.legend.last {
            var phase = 0.0
            let y = Double(o.y + entryMid) + 0.5
            LineChart.stroke(&d, from: (Double(o.x), y), to: (Double(o.x + LineChart.legendSample), y), color: LineChart.referenceColor,
                             style: .dashed, width: 1, phase: &phase)
            d.text(reference.label, x: o.x + LineChart.legendSample + LineChart.gap, y: o.y + entryMid - f.lineHeight / 2, color: .black, font: f)
        }
        return d
    }
}
