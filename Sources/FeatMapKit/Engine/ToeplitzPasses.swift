/// The two 1-D passes of a separable filter with long factors, each as a matrix product with a banded
/// Toeplitz matrix: the matrix form of weight sharing, where one column or row factor is repeated on
/// every diagonal. The products go to the engine's one matrix product (`MatrixProduct`), whose
/// kernels use the widest vectors the CPU has, where the direct passes run the portable SSE2 baseline.
///
/// For `R` output rows of one channel at a time:
/// - Vertical: V = Tᵥ · P, where P is the `R + dy(kh − 1)` padded input rows under them and
///   Tᵥ[r][r + t·dy] = column[t] (R × K, zero elsewhere). Each output row is one row of the product.
/// - Horizontal: the output is cut into blocks of `B` columns; block b of row r reads V's columns
///   bB ..< bB + B + dx(kw − 1), and out[r][bB + j] = Σᵢ V[r][bB + i] · Tₕ[i][j] with
///   Tₕ[j + t·dx][j] = row[t]. BLAS cannot read overlapping rows (its leading dimension must be at least
///   K), so Tₕ is split into slices of `B` rows and the product is a sum of `⌈(B + dx(kw − 1))/B⌉`
///   products over V read as non-overlapping blocks of `B`, each shifted one block further.
///
/// Twice to three times the multiply-adds of the direct passes, but in a BLAS's kernels, which for long
/// factors is still the faster way (measurements: docs/benchmark.md#toeplitz-products).
///
/// Horizontal padding is applied to V rather than to the input (`BorderMode.edgeColumns`), so
/// the input is not copied to add 2 × 30 columns to a band of a 61-tap Gaussian.
///
/// The product sums each output's taps in order with zeros in between, so an output does not depend on
/// where its block sits in the product; rows are still grouped at multiples of `R` of the output
/// (`BandedFilter` cuts bands at multiples of `R` too), so that a whole image and its bands issue the same
/// products. A zero weight times an infinite or NaN sample is NaN, which the direct passes would not
/// spread, so inputs with such samples take the direct passes.
struct ToeplitzPasses: Sendable {
    /// Output rows per vertical product (R) and output columns per horizontal block (B): the fastest
    /// pair in `dnnl_sgemm` (measurements: docs/benchmark.md#toeplitz-products).
    static let rows = 32, block = 32
    /// Shorter factors stay on the direct passes, which are as fast or faster below this length
    /// (measurements: docs/benchmark.md#toeplitz-products).
    static let minimumTaps = 19

    let kernel: Pair, dilation: Pair
    /// The output's height can change from call to call (bands of one image): the matrices do not
    /// depend on it.
    let inputWidth: Int
    var outputSize: Pair
    /// Padded width (all of it is read, at stride 1) and the left padding.
    let usedWidth: Int, left: Int
    /// The padded columns left and right of the input, and the input column each copies (−1: zeros).
    let edgeColumns: [(column: Int, source: Int)]
    /// Blocks per row of V, the row length of V (`blocks · B ≥ usedWidth`) and slices of Tₕ.
    let blocks: Int, lineLength: Int, slices: Int
    /// Columns of Tᵥ: input rows a full group of R output rows reads.
    let verticalDepth: Int
    /// [C, R, verticalDepth] and [C, slices · B, B].
    let vertical: [Float], horizontal: [Float]
    let bias: [Float]?

    /// nil when the filter strides (the matrices would no longer be Toeplitz on the output grid) or a
    /// factor is shorter than `minimumTaps`.
    init?(_ f: SeparableConvolution, inputSize: Pair, outputSize: Pair) {
        let (kh, kw) = (f.kernelSize.y, f.kernelSize.x)
        guard f.stride == .one, kh >= Self.minimumTaps, kw >= Self.minimumTaps, outputSize.x >= 1, outputSize.y >= 1
        else { return nil }
        let (r, b) = (Self.rows, Self.block)
        kernel = f.kernelSize; dilation = f.dilation
        inputWidth = inputSize.x
        left = f.padding.left
        usedWidth = inputSize.x + f.padding.left + f.padding.right
        edgeColumns = f.border.edgeColumns(left: left, inputWidth: inputSize.x, paddedWidth: usedWidth)
        self.outputSize = outputSize
        blocks = (usedWidth + b - 1) / b
        lineLength = blocks * b
        verticalDepth = r - 1 + f.dilation.y * (kh - 1) + 1
        slices = (b + f.dilation.x * (kw - 1) + b - 1) / b
        bias = f.bias
        let channels = f.channels
        var v = [Float](repeating: 0, count: channels * r * verticalDepth)
        var h = [Float](repeating: 0, count: channels * slices * b * b)
        for ch in 0..<channels {
            for row in 0..<r {
                for t in 0..<kh { v[(ch * r + row) * verticalDepth + row + t * f.dilation.y] = f.columns.storage[ch * kh + t] }
            }
            for j in 0..<b {
                for t in 0..<kw { h[(ch * slices * b + j + t * f.dilation.x) * b + j] = f.rows.storage[ch * kw + t] }
            }
        }
        vertical = v
        horizontal = h
    }

    /// Floats of one worker's scratch: V (R rows of `lineLength`, then the blocks the last slices read
    /// past its end) and the horizontal product (R rows of `lineLength`).
    var scratchCount: Int { 2 * Self.rows * lineLength + (slices - 1) * Self.block }

    /// Output rows oy0 ..< oy0 + g (g ≤ R) of channel `ch` from the planes at `source`, padded above and
    /// below but not left and right, into `out`
    /// (rows outputSize.x apart). `scratch` holds `scratchCount` floats that were zero when allocated: V's
    /// columns past `usedWidth` and its tail are never written, and must stay finite (they meet zero weights).
    func filter(channel ch: Int, rows oy0: Int, count g: Int, source: UnsafePointer<Float>, paddedHeight: Int,
                into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let (r, b) = (Self.rows, Self.block)
        let lines = scratch, product = scratch + r * lineLength + (slices - 1) * b
        let plane = source + ch * paddedHeight * inputWidth
        let depth = g - 1 + dilation.y * (kernel.y - 1) + 1
        vertical.withUnsafeBufferPointer { tv in
            MatrixProduct.multiply(m: g, n: inputWidth, k: depth, a: tv.baseAddress! + ch * r * verticalDepth, lda: verticalDepth,
                                   b: plane + oy0 * inputWidth, ldb: inputWidth, beta: 0, c: lines + left, ldc: lineLength)
        }
        for row in 0..<g { BorderMode.fillEdges(of: lines + row * lineLength, left: left, edgeColumns) }
        let reach = b + dilation.x * (kernel.x - 1)
        horizontal.withUnsafeBufferPointer { th in
            for q in 0..<slices {
                MatrixProduct.multiply(m: g * blocks, n: b, k: min(b, reach - q * b), a: lines + q * b, lda: b,
                                       b: th.baseAddress! + (ch * slices + q) * b * b, ldb: b, beta: q == 0 ? 0 : 1,
                                       c: product, ldc: b)
            }
        }
        let wo = outputSize.x
        for row in 0..<g {
            let src = product + row * lineLength, dst = out + row * wo
            if let bias {
                let add = bias[ch]
                for x in 0..<wo { dst[x] = src[x] + add }
            } else {
                dst.update(from: src, count: wo)
            }
        }
    }

    /// Runs every channel over the [C, Hp, W] input (padded above and below) into the [C, Ho, Wo] output, a group of R
    /// rows (the last of a channel shorter) per step, groups split between the workers.
    func apply(source: UnsafePointer<Float>, paddedHeight: Int, channels: Int, into out: UnsafeMutablePointer<Float>) {
        let (r, ho, wo) = (Self.rows, outputSize.y, outputSize.x)
        let groupsPerChannel = (ho + r - 1) / r
        let src = SendableConstPointer(source), dst = SendablePointer(out)
        Parallel.forEachChunk(channels * groupsPerChannel) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            scratch.initialize(repeating: 0, count: scratchCount)
            defer { scratch.deallocate() }
            for item in range {
                let ch = item / groupsPerChannel, oy0 = (item % groupsPerChannel) * r
                filter(channel: ch, rows: oy0, count: min(r, ho - oy0), source: src.base, paddedHeight: paddedHeight,
                       into: dst.base + (ch * ho + oy0) * wo, scratch: scratch)
            }
        }
    }

    /// Whether every sample is finite: x·0 is 0 for finite x and NaN otherwise.
    static func isFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        let n = values.count, base = values.baseAddress!
        var sum = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            sum += UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self) * 0
            i += 16
        }
        while i < n { sum[0] += base[i] * 0; i += 1 }
        return sum.sum() == 0
    }
}
