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
        // The operation is chosen once per run, and each case is a loop with the operator inlined.
        let kind = self
        return try Elementwise.broadcastRuns(a, b) { runs, x, y, z in
            switch kind {
            case .add: runs.apply(+, x, y, z)
            case .subtract: runs.apply(-, x, y, z)
            case .multiply: runs.apply(*, x, y, z)
            case .divide: runs.apply(/, x, y, z)
            }
        }
    }

    /// `f` of every pair of elements of `a` and `b` broadcast to their common shape (PRelu, Pow, Max, …).
    public static func broadcast(_ a: Tensor, _ b: Tensor, _ f: @escaping @Sendable (Float, Float) -> Float) throws -> Tensor {
        try broadcastRuns(a, b) { runs, x, y, z in runs.apply(f, x, y, z) }
    }

    /// The output of broadcasting `a` against `b`, each run of it written by `body` (`BroadcastRuns.apply`).
    ///
    /// Adjacent axes along which both operands are either stretched or not are merged first, so that a
    /// per-channel factor on [1, C, H, W] (a squeeze-and-excitation gate, a BatchNorm scale) is C runs of
    /// H·W elements against one value each, and two tensors of one shape are a single run. Large outputs
    /// are split over the workers.
    static func broadcastRuns(
        _ a: Tensor, _ b: Tensor,
        _ body: @escaping @Sendable (BroadcastRuns, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) throws -> Tensor {
        guard let shape = Elementwise.broadcastShape(a.shape, b.shape) else {
            throw EngineError.shapeMismatch("shapes \(a.shape) and \(b.shape) do not broadcast; each axis must match or be 1")
        }
        let count = shape.reduce(1, *)
        guard count > 0 else { return Tensor(shape: shape, storage: []) }
        let runs = BroadcastRuns(shape: shape, a: a.shape, b: b.shape)
        var out = LargeBuffer.uninitialized(count)
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    let x = SendableConstPointer(pa.baseAddress!), y = SendableConstPointer(pb.baseAddress!)
                    let z = SendablePointer(po.baseAddress!)
                    // About 64 K elements a chunk at least: below that a thread wake-up costs more than it saves.
                    Parallel.forEachChunk(runs.count, minimumChunk: max(1, (1 << 16) / runs.length)) { range in
                        var index = runs.index(of: range.lowerBound)
                        for run in range {
                            let (oa, ob) = runs.offsets(index)
                            body(runs, x.base + oa, y.base + ob, z.base + run * runs.length)
                            advance(&index, within: runs.outer)
                        }
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

/// The runs of a broadcast: the output's axes after merging neighbours along which each operand is
/// stretched alike, the last merged axis being one contiguous run of the output.
struct BroadcastRuns: Sendable {
    /// Merged outer axes (all but the run's) and each operand's element strides along them (0 where stretched).
    let outer: [Int], strideA: [Int], strideB: [Int]
    /// Elements in a run, and each operand's stride within it (1, or 0 where stretched).
    let length: Int, stepA: Int, stepB: Int

    init(shape: [Int], a: [Int], b: [Int]) {
        let rank = shape.count
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        // Merged axes, outermost first: (size, a stretched, b stretched).
        var axes: [(size: Int, sa: Bool, sb: Bool)] = []
        for i in 0..<rank where shape[i] != 1 {
            let sa = pa[i] == 1, sb = pb[i] == 1
            if let last = axes.last, last.sa == sa, last.sb == sb {
                axes[axes.count - 1].size *= shape[i]
            } else {
                axes.append((shape[i], sa, sb))
            }
        }
        if axes.isEmpty { axes = [(1, false, false)] }
        // Element strides of each operand along the merged axes.
        var stA = [Int](repeating: 0, count: axes.count), stB = stA
        var accA = 1, accB = 1
        for i in stride(from: axes.count - 1, through: 0, by: -1) {
            if !axes[i].sa { stA[i] = accA; accA *= axes[i].size }
            if !axes[i].sb { stB[i] = accB; accB *= axes[i].size }
        }
        let last = axes.count - 1
        length = axes[last].size
        stepA = stA[last]
        stepB = stB[last]
        outer = axes.dropLast().map(\.size)
        strideA = Array(stA.dropLast())
        strideB = Array(stB.dropLast())
    }

    var count: Int { outer.reduce(1, *) }

    /// The outer index of run number `run`.
    func index(of run: Int) -> [Int] {
        var index = [Int](repeating: 0, count: outer.count), rest = run
        for d in stride(from: outer.count - 1, through: 0, by: -1) {
            index[d] = rest % outer[d]
            rest /= outer[d]
        }
        return index
    }

    func offsets(_ index: [Int]) -> (Int, Int) {
        var oa = 0, ob = 0
        for d in 0..<index.count { oa += index[d] * strideA[d]; ob += index[d] * strideB[d] }
        return (oa, ob)
    }

    @inline(__always)
    func apply(_ f: (Float, Float) -> Float, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
               _ z: UnsafeMutablePointer<Float>) {
        let n = length
        switch (stepA, stepB) {
        case (0, 0): z.update(repeating: f(x[0], y[0]), count: n)
        case (_, 0): let v = y[0]; for i in 0..<n { z[i] = f(x[i], v) }
        case (0, _): let u = x[0]; for i in 0..<n { z[i] = f(u, y[i]) }
        default: for i in 0..<n { z[i] = f(x[i], y[i]) }
        }
    }
}
