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
        var out = [Float]()
        out.reserveCapacity(shape.reduce(1, *))
        for o in 0..<outer {
            for p in parts {
                let chunk = p.shape[a] * inner
                out.append(contentsOf: p.storage[(o * chunk)..<((o + 1) * chunk)])
            }
        }
        return Tensor(shape: shape, storage: out)
    }
}
