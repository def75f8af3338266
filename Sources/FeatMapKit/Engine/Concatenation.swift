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
        // Every element is copied in, so the buffer starts uninitialised; the copies (one per part
        // and outer index, each contiguous) are split over the workers.
        var out = LargeBuffer.uninitialized(shape.reduce(1, *))
        var pieces: [(source: Int, start: Int, count: Int, destination: Int)] = []
        var offset = 0
        for o in 0..<outer {
            for (i, p) in parts.enumerated() {
                let chunk = p.shape[a] * inner
                guard chunk > 0 else { continue }
                pieces.append((i, o * chunk, chunk, offset))
                offset += chunk
            }
        }
        let sources = parts.map(\.storage), copies = pieces, total = offset
        guard total > 0 else { return Tensor(shape: shape, storage: out) }
        out.withUnsafeMutableBufferPointer { dst in
            let base = SendablePointer(dst.baseAddress!)
            // Split by destination range, so that big single pieces are shared too.
            Parallel.forEachChunk(total, minimumChunk: 1 << 16) { range in
                for piece in copies where piece.destination < range.upperBound && piece.destination + piece.count > range.lowerBound {
                    let lo = max(range.lowerBound, piece.destination), hi = min(range.upperBound, piece.destination + piece.count)
                    sources[piece.source].withUnsafeBufferPointer { src in
                        (base.base + lo).update(from: src.baseAddress! + piece.start + (lo - piece.destination), count: hi - lo)
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: out)
    }
}
