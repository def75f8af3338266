import CDNNL

/// The one matrix product of the engine: C = α·op(A)·op(B) + β·C on row-major float32 matrices, in
/// oneDNN's `dnnl_sgemm`, on the calling thread.
///
/// Why oneDNN rather than OpenBLAS: the convolution core's products are short and wide (SqueezeNet's
/// layers multiply 16 or 64 filters by K = 16…144 rows of columns, conv1 by K = 27), and oneDNN's
/// run-time-generated kernels are faster on these; OpenBLAS wins only on products of a few
/// microseconds, such as LeNet's conv2 (measurements: docs/benchmark.md#onednn-or-openblas,
/// `Tests/bench/gemm_shapes.py`). Both pick their kernels for the CPU they run on, so the binary stays
/// portable.
///
/// The Debian build of oneDNN runs on OpenMP. featmap's own workers (`Parallel`) already give each core
/// its share, so every call sets the calling thread's OpenMP team to one thread: no OpenMP team is ever
/// started, and no OpenMP thread spins beside the workers.
enum MatrixProduct {
    static func multiply(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                         b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false, beta: Float,
                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        omp_set_num_threads(1)
        let status = dnnl_sgemm(transposeA ? transposed : plain, transposeB ? transposed : plain, Int64(m), Int64(n), Int64(k),
                                alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        // The only failures dnnl_sgemm reports are invalid sizes or strides, which the callers rule out.
        precondition(status == dnnl_success, "dnnl_sgemm failed (status \(status.rawValue)) for \(m)×\(k) · \(k)×\(n)")
    }

    private static let plain = CChar(UInt8(ascii: "N")), transposed = CChar(UInt8(ascii: "T"))
}
