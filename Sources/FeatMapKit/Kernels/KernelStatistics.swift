import Foundation

/// What `featmap kernels show` prints about a kernel: its size, the distribution of its weights,
/// whether it splits into a column and a row (and which), and what its sum means for an image.
public struct KernelStatistics: Sendable {
    public let height: Int
    public let width: Int
    public let sum: Float
    public let mean: Float
    /// Population standard deviation √(Σ(v − mean)²/n).
    public let standardDeviation: Float
    public let minimum: Float
    public let maximum: Float
    /// Rank 1 within 1e-5 × the largest |weight|: the kernel is column ⊗ row.
    public let isSeparable: Bool
    /// The row factor (width values), when separable.
    public let rowFactor: [Float]?
    /// The column factor (height values), when separable.
    public let columnFactor: [Float]?
    /// |sum| ≤ 1e-6 · Σ|v| (or ≤ 1e-6 for an all-zero kernel).
    public let sumsToZero: Bool
    /// One sentence on what the sum does to an image.
    public let sumMeaning: String

    public init(_ kernel: Kernel) {
        height = kernel.height
        width = kernel.width
        let n = Double(kernel.values.count)
        var total = 0.0, totalAbs = 0.0
        for v in kernel.values { total += Double(v); totalAbs += Swift.abs(Double(v)) }
        let m = total / n
        var squares = 0.0
        for v in kernel.values { squares += (Double(v) - m) * (Double(v) - m) }
        sum = Float(total)
        mean = Float(m)
        standardDeviation = Float((squares / n).squareRoot())
        minimum = kernel.values.min() ?? 0
        maximum = kernel.values.max() ?? 0
        let factors = kernel.separableFactors()
        isSeparable = factors != nil
        columnFactor = factors?.column
        rowFactor = factors?.row
        sumsToZero = Swift.abs(total) <= 1e-6 * Swift.max(totalAbs, 1)
        if sumsToZero {
            sumMeaning = "sum ≈ 0: responds to change like an edge detector; flat areas give 0 and responses can be "
                + "negative"
        } else if Swift.abs(total - 1) <= 1e-4 {
            sumMeaning = "sum ≈ 1: keeps brightness like a blur; flat areas keep their value"
        } else {
            let s = KernelStatistics.format(Float(total))
            sumMeaning = "sum = \(s): scales brightness by \(s) (flat areas become \(s)× as bright); add 'scale: \(s)' "
                + "to a kernel file to keep brightness"
        }
    }

    /// "3×3"
    public var size: String { "\(height)×\(width)" }

    static func format(_ v: Float) -> String {
        if v == v.rounded() && Swift.abs(v) < 1e7 { return String(Int(v)) }
        return String(format: "%.6g", Double(v))
    }
}
