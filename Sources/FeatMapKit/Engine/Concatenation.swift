extension Tensor {
    /// Tensors joined along `axis` (ONNX Concat); every other axis must agree.
    public static func concatenated(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw EngineError.invalidParameter("nothing to concatenate") }
        let rank = first.rank
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            throw EngineError.invalidParameter("concatenation axis \(axis) is outside a tensor of rank \(rank)")
        }
        for p in parts where p.rank != rank || p.shape[..<a] != first.shape[..<a] || p.shape[(a + 1)...] != first.shape[(a + 1)...] {
            throw EngineError.shapeMismatch("cannot concatenate shapes \(first.shape) and \(p.shape) along axis \(a); the other axes must match")
        }
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        var shape = first.shape
        shape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        let total = shape.reduce(1, *)
        // Every element is written below, so the buffer skips zero-filling.
        let out = [Float](unsafeUninitializedCapacity: total) { dst, initialized in
            var offset = 0
            for o in 0..<outer {
                for p in parts {
                    let chunk = p.shape[a] * inner
                    guard chunk > 0 else { continue }
                    p.storage.withUnsafeBufferPointer { src in
                        (dst.baseAddress! + offset).initialize(from: src.baseAddress! + o * chunk, count: chunk)
                    }
                    offset += chunk
                }
            }
            initialized = offset
        }
        return Tensor(shape: shape, storage: out)
    }
}
