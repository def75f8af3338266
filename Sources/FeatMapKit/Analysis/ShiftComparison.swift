/// How much pooling absorbs a small translation: the input moved by (dy, dx) pixels, pooled again,
/// and the share of pooled values that came out exactly the same at the same output position.
/// The shifted input is shifted[y][x] = input[clamp(y − dy)][clamp(x − dx)]: content moves down/right
/// for positive shifts and the uncovered border repeats the edge pixel, so no value is invented.
public struct ShiftComparison: Sendable {
    public var shift: Pair
    public var shiftedInput: Tensor
    public var pooled: Tensor
    public var shiftedPooled: Tensor
    /// Indices into the pooled storage whose values did not change.
    public var unchanged: Set<Int>

    public var unchangedFraction: Double { pooled.count == 0 ? 1 : Double(unchanged.count) / Double(pooled.count) }

    public init(input: Tensor, pooling: Pooling, shift: Pair) throws {
        guard let (c, h, w) = input.planeShape else { throw EngineError.shapeMismatch("pooling input must be [C, H, W], got \(input.shape)") }
        self.shift = shift
        shiftedInput = Tensor(shape: [c, h, w], storage: input.storage).shifted(by: shift, fill: .replicate)
        let before = try pooling.applied(to: Tensor(shape: [c, h, w], storage: input.storage))
        let after = try pooling.applied(to: shiftedInput)
        pooled = before
        shiftedPooled = after
        unchanged = Set(before.storage.indices.filter { before.storage[$0] == after.storage[$0] })
    }
}
