extension Tensor {
    /// Axes permuted (ONNX Transpose): output axis i is input axis `permutation[i]`;
    /// the default reverses the axes.
    public func transposed(_ permutation: [Int]? = nil) throws -> Tensor {
        let perm = permutation ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else {
            throw EngineError.invalidParameter("transpose permutation \(perm) is not a permutation of the \(rank) axes of \(shape)")
        }
        let newShape = perm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = perm.map { inStrides[$0] }
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<count {
            var offset = 0
            for d in 0..<rank { offset += index[d] * strides[d] }
            out[o] = storage[offset]
            advance(&index, within: newShape)
        }
        return Tensor(shape: newShape, storage: out)
    }

    /// ONNX Reshape: 0 copies the input's size on that axis (unless `allowZero`), −1 takes what is left.
    public func reshaped(onnx target: [Int], allowZero: Bool = false) throws -> Tensor {
        Tensor(shape: try Tensor.reshapedShape(shape, onnx: target, allowZero: allowZero), storage: storage)
    }

    /// The shape ONNX Reshape gives a tensor of `input`'s shape (see `reshaped(onnx:allowZero:)`).
    static func reshapedShape(_ input: [Int], onnx target: [Int], allowZero: Bool) throws -> [Int] {
        let rank = input.count
        var count = 1
        for d in input {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw EngineError.shapeMismatch("the shape \(input) has more elements than featmap can count") }
            count = p
        }
        var shape = target
        var unknown: Int? = nil
        for (i, d) in target.enumerated() {
            if d == 0 && !allowZero {
                guard i < rank else { throw EngineError.shapeMismatch("reshape to \(target): axis \(i) copies an axis that \(input) does not have") }
                shape[i] = input[i]
            } else if d == -1 {
                guard unknown == nil else { throw EngineError.shapeMismatch("reshape to \(target) has more than one −1") }
                unknown = i
            } else if d < 0 {
                throw EngineError.shapeMismatch("reshape to \(target) has a negative size")
            }
        }
        func product(_ dims: [Int]) -> Int? {
            var n = 1
            for d in dims {
                let (p, overflow) = n.multipliedReportingOverflow(by: d)
                if overflow { return nil }
                n = p
            }
            return n
        }
        if let u = unknown {
            let known = product(shape.enumerated().filter { $0.offset != u }.map(\.element)) ?? 0
            guard known > 0, count % known == 0 else {
                throw EngineError.shapeMismatch("cannot reshape \(input) (\(count) values) to \(target)")
            }
            shape[u] = count / known
        }
        guard product(shape) == count else {
            throw EngineError.shapeMismatch("cannot reshape \(input) (\(count) values) to \(target)")
        }
        return shape
    }

    /// ONNX Flatten: a matrix [d0·…·d(axis−1), d(axis)·…].
    public func flattened(axis: Int = 1) throws -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a <= rank else { throw EngineError.invalidParameter("flatten axis \(axis) is outside a tensor of rank \(rank)") }
        let rows = shape[..<a].reduce(1, *)
        return Tensor(shape: [rows, rows == 0 ? 0 : count / rows], storage: storage)
    }
}
