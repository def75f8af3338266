import Foundation

/// A reduction of a tensor over some of its axes (ONNX ReduceSum, ReduceMean, ReduceMax, ReduceL2):
/// each output value combines the input values that differ only along `axes`; with
/// `keepsDimensions` the reduced axes stay as size 1, otherwise they are dropped.
public struct Reduction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case sum, mean, max
        /// √(Σ x²)
        case l2
    }
    public var kind: Kind
    /// Axes in 0..<rank, sorted and distinct.
    public var axes: [Int]
    public var keepsDimensions: Bool

    /// `axes` may count from the end (−1 is the last); each may appear once.
    public init(kind: Kind, axes: [Int], rank: Int, keepsDimensions: Bool) throws {
        var normalised: [Int] = []
        for a in axes {
            let b = a < 0 ? a + rank : a
            guard b >= 0, b < max(rank, 1) else {
                throw EngineError.invalidParameter("reduction axis \(a) is outside a tensor of rank \(rank)")
            }
            guard !normalised.contains(b) else { throw EngineError.invalidParameter("reduction axis \(a) appears twice in \(axes)") }
            normalised.append(b)
        }
        self.kind = kind
        self.axes = normalised.sorted()
        self.keepsDimensions = keepsDimensions
    }

    public func outputShape(_ shape: [Int]) -> [Int] {
        var out: [Int] = []
        for (i, d) in shape.enumerated() {
            if axes.contains(i) { if keepsDimensions { out.append(1) } } else { out.append(d) }
        }
        return out
    }

    /// For each input axis, the stride of the output value it maps to (0 along the reduced axes).
    private func outputStrides(_ shape: [Int]) -> [Int] {
        var st = [Int](repeating: 0, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where !axes.contains(i) {
            st[i] = acc
            acc *= shape[i]
        }
        return st
    }

    /// Calls `body(inputIndex, outputIndex)` for every input value in storage order.
    private func forEachPair(_ shape: [Int], _ body: (Int, Int) -> Void) {
        let st = outputStrides(shape), rank = shape.count
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let inner = rank > 0 ? shape[rank - 1] : 1, innerStride = rank > 0 ? st[rank - 1] : 0
        var index = [Int](repeating: 0, count: max(0, rank - 1))
        var row = 0
        while row * inner < count {
            var o = 0
            for d in 0..<index.count { o += index[d] * st[d] }
            for i in 0..<inner { body(row * inner + i, o + i * innerStride) }
            row += 1
            advance(&index, within: shape)
        }
    }

    /// How many input values each output value combines.
    public func groupSize(_ shape: [Int]) -> Int { axes.reduce(1) { $0 * shape[$1] } }

    public func applied(to x: Tensor) -> Tensor {
        let outShape = outputShape(x.shape)
        let n = outShape.reduce(1, *)
        var acc = [Double](repeating: kind == .max ? -.infinity : 0, count: n)
        x.storage.withUnsafeBufferPointer { px in
            acc.withUnsafeMutableBufferPointer { pa in
                switch kind {
                case .sum, .mean: forEachPair(x.shape) { i, o in pa[o] += Double(px[i]) }
                case .l2: forEachPair(x.shape) { i, o in pa[o] += Double(px[i]) * Double(px[i]) }
                case .max: forEachPair(x.shape) { i, o in if px[i] > Float(pa[o]) || px[i].isNaN { pa[o] = Double(px[i]) } }
                }
            }
        }
        let m = Double(groupSize(x.shape))
        let out: [Float]
        switch kind {
        case .sum, .max: out = acc.map { Float($0) }
        case .mean: out = acc.map { Float($0 / m) }
        case .l2: out = acc.map { Float($0.squareRoot()) }
        }
        return Tensor(shape: outShape, storage: out)
    }

    /// ∂(y · g)/∂x for the output y = applied(to: x) and a gradient g shaped like it: a sum passes g to
    /// every value it combined, a mean g/m, a maximum g to the first value equal to it, L2 g·x/y.
    public func inputGradient(_ g: [Float], input x: Tensor, output y: Tensor) -> [Float] {
        var d = [Float](repeating: 0, count: x.count)
        let m = Float(groupSize(x.shape))
        var taken = [Bool](repeating: false, count: y.count)
        forEachPair(x.shape) { i, o in
            switch kind {
            case .sum: d[i] = g[o]
            case .mean: d[i] = g[o] / m
            case .l2: d[i] = y.storage[o] > 0 ? g[o] * x.storage[i] / y.storage[o] : 0
            case .max:
                if !taken[o] && x.storage[i] == y.storage[o] { d[i] = g[o]; taken[o] = true }
            }
        }
        return d
    }
}
