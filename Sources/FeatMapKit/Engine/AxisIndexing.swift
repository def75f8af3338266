/// Copies that pick, on every axis independently, which input index each output index reads: the one
/// kernel behind ONNX Slice, Split, Gather, Expand, Tile and the general Pad. Output index o on axis a
/// reads input index `sources[a][o]`, or `fill` where that is nil (a constant border).
extension Tensor {
    public func indexed(by sources: [[Int?]], fill: Float = 0) -> Tensor {
        precondition(sources.count == rank, "indexed(by:) needs one index map per axis of \(shape)")
        let outShape = sources.map(\.count)
        let count = outShape.reduce(1, *)
        guard count > 0 else { return Tensor(shape: outShape, storage: []) }
        guard rank > 0 else { return self }
        var strides = [Int](repeating: 1, count: rank)
        for a in stride(from: rank - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        // Element offsets per axis (−1: fill), so the inner loop only adds.
        let offsets = (0..<rank).map { a in sources[a].map { $0.map { $0 * strides[a] } ?? -1 } }
        let inner = outShape[rank - 1], rows = count / inner
        let last = offsets[rank - 1]
        // The last axis read straight through (Split of channels, Slice of rows): one copy per row.
        let contiguousFrom: Int? = {
            guard let first = sources[rank - 1].first, let f = first else { return nil }
            for (o, s) in sources[rank - 1].enumerated() where s != f + o { return nil }
            return f
        }()
        var out = [Float](repeating: 0, count: count)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                var index = [Int](repeating: 0, count: rank - 1)
                for row in 0..<rows {
                    var base = 0, filled = false
                    for a in 0..<(rank - 1) {
                        let off = offsets[a][index[a]]
                        if off < 0 { filled = true; break }
                        base += off
                    }
                    let line = d + row * inner
                    if filled {
                        line.update(repeating: fill, count: inner)
                    } else if let f = contiguousFrom {
                        line.update(from: s + base + f, count: inner)
                    } else {
                        for i in 0..<inner { line[i] = last[i] < 0 ? fill : s[base + last[i]] }
                    }
                    var a = rank - 2
                    while a >= 0 {
                        index[a] += 1
                        if index[a] < outShape[a] { break }
                        index[a] = 0
                        a -= 1
                    }
                }
            }
        }
        return Tensor(shape: outShape, storage: out)
    }

    /// The gradient of `indexed(by:)`: each output cell's gradient added to the input cell it read.
    public static func scatteredBack(_ gradient: [Float], into shape: [Int], by sources: [[Int?]]) -> [Float] {
        let rank = shape.count
        var result = [Float](repeating: 0, count: shape.reduce(1, *))
        let outShape = sources.map(\.count)
        guard rank > 0, gradient.count == outShape.reduce(1, *), !gradient.isEmpty else { return result }
        var strides = [Int](repeating: 1, count: rank)
        for a in stride(from: rank - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * shape[a + 1] }
        var index = [Int](repeating: 0, count: rank)
        for g in gradient {
            var offset = 0, filled = false
            for a in 0..<rank {
                guard let s = sources[a][index[a]] else { filled = true; break }
                offset += s * strides[a]
            }
            if !filled { result[offset] += g }
            advance(&index, within: outShape)
        }
        return result
    }

    /// Every axis read straight through: the index maps of the identity copy.
    static func identityIndices(_ shape: [Int]) -> [[Int?]] { shape.map { Array(0..<$0) } }

    /// NumPy's bidirectional broadcast of the tensor to `target` (ONNX Expand, and the operands of Where
    /// and Equal): a size-1 axis repeats, a missing leading axis is added.
    public func broadcast(to target: [Int]) throws -> Tensor {
        guard let out = Elementwise.broadcastShape(shape, target) else {
            throw EngineError.shapeMismatch("shape \(shape) does not broadcast to \(target); each axis must match or be 1")
        }
        let padded = [Int](repeating: 1, count: out.count - rank) + shape
        if padded == out { return reshaped(out) }
        return reshaped(padded).indexed(by: (0..<out.count).map { a in (0..<out[a]).map { padded[a] == 1 ? 0 : $0 } })
    }
}
