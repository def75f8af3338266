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
        let op = self
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
                        switch op {
                        case .add: for i in 0..<inner { z[i] = x[i * ia] + y[i * ib] }
                        case .subtract: for i in 0..<inner { z[i] = x[i * ia] - y[i * ib] }
                        case .multiply: for i in 0..<inner { z[i] = x[i * ia] * y[i * ib] }
                        case .divide: for i in 0..<inner { z[i] = x[i * ia] / y[i * ib] }
                        }
                        row += 1
                        var d = index.count - 1
                        while d >= 0 {
                            index[d] += 1
                            if index[d] < shape[d] { break }
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: out)
    }
}
