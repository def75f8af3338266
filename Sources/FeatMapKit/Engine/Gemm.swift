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
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    MatrixProduct.multiply(m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: a.shape[1], transposeA: transposeA,
                                           b: pb.baseAddress!, ldb: b.shape[1], transposeB: transposeB, beta: betaUsed,
                                           c: po.baseAddress!, ldc: n)
                }
            }
        }
        return Tensor(shape: [m, n], storage: out)
    }

    /// NumPy matmul for the shapes CNN heads use: [.., M, K] × [K, N] → [.., M, N], and 1-D operands
    /// as a row or column vector.
    public static func matrixProduct(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
        guard aShape.count >= 2, bShape.count == 2 else {
            throw EngineError.shapeMismatch("MatMul supports [.., M, K] × [K, N]; got \(a.shape) × \(b.shape)")
        }
        let k = aShape[aShape.count - 1]
        let m = aShape.dropLast().reduce(1, *)
        let product = try Gemm().applied(Tensor(shape: [m, k], storage: a.storage), Tensor(shape: bShape, storage: b.storage))
        var shape = Array(aShape.dropLast()) + [bShape[1]]
        if a.rank == 1 { shape.remove(at: shape.count - 2) }
        if b.rank == 1 { shape.removeLast() }
        return Tensor(shape: shape, storage: product.storage)
    }
}
