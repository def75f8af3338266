/// General matrix product Y = α·op(A)·op(B) + β·C (ONNX Gemm), op = transpose or not,
/// C broadcast to [M, N]. The product runs in `MatrixProduct` (oneDNN's sgemm).
public struct Gemm: Sendable, Equatable {
    public var alpha: Float, beta: Float
    public var transposeA: Bool, transposeB: Bool

    public init(alpha: Float = 1, beta: Float = 1, transposeA: Bool = false, transposeB: Bool = false) {
        self.alpha = alpha; self.beta = beta; self.transposeA = transposeA; self.transposeB = transposeB
    }

    public func applied(_ a: Tensor, _ b: Tensor, _ c: Tensor? = nil) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else {
            throw EngineError.shapeMismatch("Gemm multiplies two matrices; got shapes \(a.shape) and \(b.shape) (insert a Flatten before it)")
        }
        let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        guard k == kb else {
            throw EngineError.shapeMismatch("Gemm cannot multiply \(m)×\(k) by \(kb)×\(n): the inner sizes differ")
        }
        var out = [Float](repeating: 0, count: m * n)
        var betaUsed: Float = 0
        if let c, beta != 0 {
            let broadcast = try Elementwise.add.applied(Tensor(shape: [m, n], repeating: 0), c)
            guard broadcast.shape == [m, n] else {
                throw EngineError.shapeMismatch("Gemm's C of shape \(c.shape) does not broadcast to \(m)×\(n)")
            }
            out = broadcast.storage
            betaUsed = beta
        }
        guard m > 0, n > 0, k > 0 else { return Tensor(shape: [m, n], storage: out.map { $0 * betaUsed }) }
        // Up to `rowByRowLimit` rows, each row is its own one-row product: sgemm blocks several rows
        // differently from one, and may round them differently, so a row's bits would depend on its
        // neighbours (a batch of samples as rows must give each sample what a pass alone gives it).
        let rows = m > 1 && m <= Gemm.rowByRowLimit ? m : 1
        let rowsPerCall = m / rows
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    for r in 0..<rows {
                        // Row r of op(A): row r of A, or with transA its column r.
                        let aRow = pa.baseAddress! + (transposeA ? r : r * a.shape[1])
                        MatrixProduct.multiply(m: rowsPerCall, n: n, k: k, alpha: alpha, a: aRow, lda: a.shape[1], transposeA: transposeA,
                                               b: pb.baseAddress!, ldb: b.shape[1], transposeB: transposeB, beta: betaUsed,
                                               c: po.baseAddress! + r * n, ldc: n)
                    }
                }
            }
        }
        return Tensor(shape: [m, n], storage: out)
    }

    /// Products of up to this many rows run row by row, each row as a one-row product (see `applied`).
    public static let rowByRowLimit = 256

    /// NumPy matmul: [.., M, K] × [.., K, N] → [.., M, N], the batch axes broadcast (a size-1 or missing
    /// axis repeats), and 1-D operands as a row or column vector. A [K, N] right operand (every CNN head)
    /// is one product over all the rows of A.
    public static func matrixProduct(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try productShape(a.shape, b.shape)
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let k = aShape[aShape.count - 1]
        if bShape.count == 2 {
            let m = aShape.dropLast().reduce(1, *)
            let product = try Gemm().applied(Tensor(shape: [m, k], storage: a.storage), Tensor(shape: bShape, storage: b.storage))
            return Tensor(shape: shape, storage: product.storage)
        }
        let m = aShape[aShape.count - 2], n = bShape[bShape.count - 1]
        let batchA = Array(aShape.dropLast(2)), batchB = Array(bShape.dropLast(2))
        let batch = Elementwise.broadcastShape(batchA, batchB)!
        // Element offsets of each batch's matrix in A and B (0 along a broadcast axis).
        func offsets(_ dims: [Int], matrix: Int) -> [Int] {
            let padded = [Int](repeating: 1, count: batch.count - dims.count) + dims
            var result = [0]
            var step = matrix
            var strides = [Int](repeating: 0, count: batch.count)
            for d in stride(from: batch.count - 1, through: 0, by: -1) { strides[d] = padded[d] == 1 ? 0 : step; step *= padded[d] }
            for d in 0..<batch.count {
                result = result.flatMap { base in (0..<batch[d]).map { base + $0 * strides[d] } }
            }
            return result
        }
        let offA = offsets(batchA, matrix: m * k), offB = offsets(batchB, matrix: k * n)
        var out = [Float](repeating: 0, count: offA.count * m * n)
        if m > 0, n > 0, k > 0 {
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        for i in offA.indices {
                            MatrixProduct.multiply(m: m, n: n, k: k, a: pa.baseAddress! + offA[i], lda: k, b: pb.baseAddress! + offB[i], ldb: n,
                                                   beta: 0, c: po.baseAddress! + i * m * n, ldc: n)
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// The shape of NumPy's matmul of operands of shapes `a` and `b` (see `matrixProduct`).
    static func productShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let aShape = a.count == 1 ? [1, a[0]] : a, bShape = b.count == 1 ? [b[0], 1] : b
        guard aShape.count >= 2, bShape.count >= 2, aShape[aShape.count - 1] == bShape[bShape.count - 2],
              let batch = Elementwise.broadcastShape(Array(aShape.dropLast(2)), Array(bShape.dropLast(2))) else {
            throw EngineError.shapeMismatch("MatMul multiplies [.., M, K] by [.., K, N] with broadcastable batch axes; got \(a) × \(b)")
        }
        var shape = batch + [aShape[aShape.count - 2], bShape[bShape.count - 1]]
        if a.count == 1 { shape.remove(at: shape.count - 2) }
        if b.count == 1 { shape.removeLast() }
        return shape
    }
}
