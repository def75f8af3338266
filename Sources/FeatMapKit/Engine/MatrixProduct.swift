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
///
/// libdnnl is opened on the first product (Sources/CDNNL), not at process start; `requireLibrary()` reports
/// a missing library as an error before any work starts.
enum MatrixProduct {
    static func multiply(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                         b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false, beta: Float,
                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        fm_omp_set_num_threads(1)
        let status = fm_dnnl_sgemm(transposeA ? transposed : plain, transposeB ? transposed : plain, Int64(m), Int64(n), Int64(k),
                                alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        // The only failures dnnl_sgemm reports are invalid sizes or strides, which the callers rule out.
        precondition(status == dnnl_success, "dnnl_sgemm failed (status \(status.rawValue)) for \(m)×\(k) · \(k)×\(n)")
    }

    /// Opens oneDNN now, or throws its one-line reason (which names the package to install).
    static func requireLibrary() throws {
        if let reason = fm_dnnl_load() { throw OneDNNUnavailable(reason: String(cString: reason)) }
    }

    private static let plain = CChar(UInt8(ascii: "N")), transposed = CChar(UInt8(ascii: "T"))
}

/// oneDNN, the library of the engine's matrix products, opened on first use.
public enum OneDNN {
    /// Opens the library now, or throws a one-line reason naming the package to install: a command that
    /// will run a model calls this first, so that a missing library is reported before any output.
    public static func require() throws { try MatrixProduct.requireLibrary() }
}

/// oneDNN could not be opened: the reason names the library tried and the package that provides it.
struct OneDNNUnavailable: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
