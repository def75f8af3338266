/// Binary elementwise operations with NumPy broadcasting (ONNX Add, Sub, Mul, Div from opset 7):
/// shapes are aligned on their last axes and an axis of size 1 stretches to the other's size,
/// so a per-channel bias [C, 1, 1] adds to a [1, C, H, W] map.
public enum Elementwise: String, Sendable {
    case add, subtract, multiply, divide

    /// The broadcast shape of two shapes, or nil when they do not broadcast.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    public func applied(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        switch self {
        case .add: return try Elementwise.broadcast(a, b, +)
        case .subtract: return try Elementwise.broadcast(a, b, -)
        case .multiply: return try Elementwise.broadcast(a, b, *)
        case .divide: return try Elementwise.broadcast(a, b, /)
        }
    }

    /// `f` of every pair of elements of `a` and `b` broadcast to their common shape (PRelu, Pow, Max, …).
    @inline(__always)
    public static func broadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
        guard let shape = Elementwise.broadcastShape(a.shape, b.shape) else {
            throw EngineError.shapeMismatch("shapes \(a.shape) and \(b.shape) do not broadcast; each axis must match or be 1")
        }
        let count = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        let rank = shape.count
        // Element strides of each operand in the output's index space (0 on broadcast axes).
        func strides(_ s: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - s.count) + s
            var st = [Int](repeating: 0, count: rank)
            var acc = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                st[i] = padded[i] == 1 ? 0 : acc
                acc *= padded[i]
            }
            return st
        }
        let sa = strides(a.shape), sb = strides(b.shape)
        let inner = rank > 0 ? shape[rank - 1] : 1
        let ia = rank > 0 ? sa[rank - 1] : 0, ib = rank > 0 ? sb[rank - 1] : 0
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    guard count > 0 else { return }
                    var index = [Int](repeating: 0, count: max(0, rank - 1))
                    var row = 0
                    while row * inner < count {
                        var oa = 0, ob = 0
                        for d in 0..<index.count { oa += index[d] * sa[d]; ob += index[d] * sb[d] }
                        let x = pa.baseAddress! + oa, y = pb.baseAddress! + ob, z = po.baseAddress! + row * inner
                        for i in 0..<inner { z[i] = f(x[i * ia], y[i * ib]) }
                        row += 1
                        advance(&index, within: shape)
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// A gradient `g` of the broadcast shape summed back onto an operand of `shape` (the axes it was
    /// stretched along, or that it lacked, add up).
    public static func unbroadcast(_ g: [Float], from outShape: [Int], to shape: [Int]) -> [Float] {
        if outShape == shape { return g }
        let rank = outShape.count
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        var st = [Int](repeating: 0, count: rank)
        var acc = 1
        for i in stride(from: rank - 1, through: 0, by: -1) {
            st[i] = padded[i] == 1 ? 0 : acc
            acc *= padded[i]
        }
        var d = [Float](repeating: 0, count: shape.reduce(1, *))
        var index = [Int](repeating: 0, count: rank)
        for j in 0..<g.count {
            var o = 0
            for k in 0..<rank { o += index[k] * st[k] }
            d[o] += g[j]
            advance(&index, within: outShape)
        }
        return d
    }
}
