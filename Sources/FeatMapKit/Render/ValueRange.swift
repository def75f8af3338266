/// How values become colormap positions: t = (v − low) / (high − low), clamped to [0, 1].
/// A diverging map is centred on zero: low = −m, high = m with m = max(|low|, |high|), so 0 → t = 0.5.
/// A constant range (high == low) maps everything to the middle instead of dividing by zero.
public struct ValueRange: Sendable, Equatable {
    public var low: Float
    public var high: Float

    public init(low: Float, high: Float) {
        self.low = low
        self.high = high
    }

    /// The finite minimum and maximum of `values` (NaN and ±∞ skipped); nil when none is finite.
    public static func finiteExtent(of values: UnsafeBufferPointer<Float>) -> ValueRange? {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        return lo <= hi ? ValueRange(low: lo, high: hi) : nil
    }

    public static func finiteExtent(of values: [Float]) -> ValueRange? {
        values.withUnsafeBufferPointer { finiteExtent(of: $0) }
    }

    /// The symmetric range ±max(|low|, |high|) used with diverging maps.
    public var symmetric: ValueRange {
        let m = max(abs(low), abs(high))
        return ValueRange(low: -m, high: m)
    }

    public var isSigned: Bool { low < 0 && high > 0 }

    /// Slope and offset so that t = v · scale + offset; a degenerate range gives t = 0.5 everywhere.
    public var affine: (scale: Float, offset: Float) {
        let span = high - low
        guard span > 0, span.isFinite else { return (0, 0.5) }
        return (1 / span, -low / span)
    }
}
