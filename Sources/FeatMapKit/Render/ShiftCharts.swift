import Foundation

/// The pictures of `featmap shift`, built on `LineChart`.
extension ShiftExperiment {
    /// How a layer's line looks: convolutions solid with filled squares, pooling dashed with hollow
    /// squares, other layers (activations, concatenations) dotted with diamonds; colours in layer order.
    public static func style(of kind: Layer.Kind) -> (LineChart.Stroke, LineChart.Marker) {
        switch kind {
        case .conv: return (.solid, .square)
        case .pool: return (.dashed, .hollowSquare)
        case .other: return (.dotted, .diamond)
        }
    }

    /// The y range both error charts share: 0 to the largest error, widened to a whole tick, so that
    /// the equivariance error is seen against the size of the invariance error.
    public var errorRange: ClosedRange<Double> {
        let largest = layers.flatMap { ($0.equivarianceError + $0.invarianceError).compactMap { $0 } }.max() ?? 0
        return 0...(LineChart.ticks(lo: 0, hi: max(largest, 1e-3), target: 6).values.last ?? 1)
    }

    /// One chart of the given error against the shift, one line per layer.
    public func chart(equivariance: Bool) -> LineChart {
        let series = layers.enumerated().map { n, layer -> LineChart.Series in
            let values = equivariance ? layer.equivarianceError : layer.invarianceError
            let (stroke, marker) = ShiftExperiment.style(of: layer.kind)
            return LineChart.Series(name: "\(layer.name) (\(layer.op))", points: zip(shifts, values).map { (Double($0), $1) },
                                    color: LineChart.palette[n % LineChart.palette.count], stroke: stroke, marker: marker)
        }
        let along = axis == .both ? "x and y" : axis.rawValue
        return LineChart(title: equivariance ? "Equivariance error" : "Invariance error",
                         xLabel: "shift along \(along) (px, \(fill.rawValue) fill)",
                         yLabel: equivariance ? "‖f(shifted x) − shifted f(x)‖ / ‖f(x)‖" : "‖f(shifted x) − f(x)‖ / ‖f(x)‖",
                         series: series, plotHeight: 240, yRange: errorRange)
    }

    /// Both charts side by side (equivariance left, invariance right), and the top class per shift under them.
    public func drawing() -> Drawing {
        let left = chart(equivariance: true).drawing(), right = chart(equivariance: false).drawing()
        let caption = top.isEmpty ? nil : "top class: " + top.map { "\($0.shift): \($0.name) \(String(format: "%.2f", $0.probability))" }.joined(separator: "   ")
        let captionH = caption == nil ? 0 : Typeface.small.lineHeight + 8
        var d = Drawing(width: left.width + right.width, height: max(left.height, right.height) + captionH)
        d.place(left, x: 0, y: 0)
        d.place(right, x: left.width, y: 0)
        if let caption { d.text(caption, x: 8, y: max(left.height, right.height), color: .black, font: .small) }
        return d
    }
}

/// `featmap shift --dataset`: what a run measured, for printing and plotting.
public struct DatasetShiftReport: Sendable, Codable {
    public var dataset: String
    public var axis: ShiftAxis
    public var fill: ShiftFill
    public var shifts: [Int]
    public var accuracy: [ShiftAccuracy]
    public var unshifted: ShiftAccuracy

    public init(dataset: String, axis: ShiftAxis, fill: ShiftFill, accuracy: [ShiftAccuracy], unshifted: ShiftAccuracy) {
        self.dataset = dataset; self.axis = axis; self.fill = fill; self.shifts = accuracy.map(\.shift)
        self.accuracy = accuracy; self.unshifted = unshifted
    }

    /// One line of JSON, keys sorted.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Accuracy (in %) against the shift, the unshifted accuracy marked.
    public func chart(title: String? = nil) -> LineChart {
        let along = axis == .both ? "x and y" : axis.rawValue
        var c = LineChart(title: title ?? "Accuracy under shift",
                          xLabel: "shift along \(along) (px, \(fill.rawValue) fill)", yLabel: "accuracy (%)",
                          series: [LineChart.Series(name: "accuracy (\(unshifted.total) images)",
                                                    points: accuracy.map { (Double($0.shift), $0.accuracy * 100) },
                                                    color: LineChart.palette[0], stroke: .solid, marker: .square)],
                          reference: LineChart.Reference(value: unshifted.accuracy * 100,
                                                         label: String(format: "unshifted %.2f%%", unshifted.accuracy * 100)))
        c.yFormat = { v in String(format: v == v.rounded() ? "%.0f" : "%.1f", v) }
        return c
    }
}
