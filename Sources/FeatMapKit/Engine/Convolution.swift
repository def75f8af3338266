import CVectorMath

/// A pair of per-axis integers (stride, dilation): y first, then x.
public struct Pair: Equatable, Sendable, CustomStringConvertible {
    public var y: Int, x: Int
    public init(_ y: Int, _ x: Int) { self.y = y; self.x = x }
    public init(both n: Int) { self.init(n, n) }
    public static let one = Pair(1, 1)
    public var description: String { y == x ? "\(y)" : "\(y),\(x)" }
}

public enum EngineError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(String)
    case kernelLargerThanInput(kernel: Pair, input: Pair, padding: Padding)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .invalidParameter(let s): return s
        case let .kernelLargerThanInput(k, i, p):
            return "the \(k.y)×\(k.x) window (dilation included) does not fit in the \(i.y)×\(i.x) input padded by "
                + "top \(p.top), bottom \(p.bottom), left \(p.left), right \(p.right); use a smaller kernel, "
                + "more padding or a larger image"
        case .shapeMismatch(let s): return s
        }
    }
}

/// The one convolution core of featmap: 2-D cross-correlation (what CNN frameworks call
/// convolution) of a [C, H, W] input with weights [outC, C/groups, kh, kw], plus bias.
/// A classic filter such as Sobel on a colour photo is the depthwise case (groups = C, one
/// filter per channel, border = replicate); a CNN layer is the same call with learned
/// weights and zero border.
///
/// Output size per axis: ⌊(n + p_total − d(k−1) − 1)/s⌋ + 1.
public struct Convolution: Sendable {
    public var weights: Tensor
    public var bias: [Float]?
    public var groups: Int
    public var stride: Pair
    public var dilation: Pair
    public var padding: Padding
    public var border: BorderMode

    public init(weights: Tensor, bias: [Float]? = nil, groups: Int = 1, stride: Pair = .one,
                dilation: Pair = .one, padding: Padding = .none, border: BorderMode = .zero) {
        precondition(weights.rank == 4, "weights must be [outC, inC/groups, kh, kw]")
        self.weights = weights
        self.bias = bias
        self.groups = groups
        self.stride = stride
        self.dilation = dilation
        self.padding = padding
        self.border = border
    }

    public var outputChannels: Int { weights.shape[0] }
    public var inputChannelsPerGroup: Int { weights.shape[1] }
    public var kernelSize: Pair { Pair(weights.shape[2], weights.shape[3]) }

    /// Output height and width for an input of the given size, or an error that says why none.
    public func outputSize(height h: Int, width w: Int) throws -> Pair {
        try Convolution.outputSize(input: Pair(h, w), kernel: kernelSize, stride: stride, dilation: dilation,
                                   padding: padding)
    }

    /// ⌊(n + p_total − d(k−1) − 1)/s⌋ + 1 on each axis.
    public static func outputSize(input: Pair, kernel: Pair, stride: Pair, dilation: Pair, padding: Padding) throws -> Pair {
        guard stride.y >= 1, stride.x >= 1 else {
            throw EngineError.invalidParameter("stride must be at least 1 (got \(stride)); use --stride 1 or more")
        }
        guard dilation.y >= 1, dilation.x >= 1 else {
            throw EngineError.invalidParameter("dilation must be at least 1 (got \(dilation)); use --dilation 1 or more")
        }
        guard padding.top >= 0, padding.bottom >= 0, padding.left >= 0, padding.right >= 0 else {
            throw EngineError.invalidParameter("padding cannot be negative")
        }
        let spanY = dilation.y * (kernel.y - 1) + 1, spanX = dilation.x * (kernel.x - 1) + 1
        let py = input.y + padding.top + padding.bottom, px = input.x + padding.left + padding.right
        guard spanY <= py, spanX <= px else {
            throw EngineError.kernelLargerThanInput(kernel: Pair(spanY, spanX), input: input, padding: padding)
        }
        return Pair((py - spanY) / stride.y + 1, (px - spanX) / stride.x + 1)
    }

    /// The kernel flipped in both axes: correlating with it is true convolution.
    public var flipped: Convolution {
        var c = self
        let (o, i, kh, kw) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        var w = weights.storage
        for plane in 0..<(o * i) {
            let base = plane * kh * kw
            for y in 0..<kh { for x in 0..<kw {
                w[base + y * kw + x] = weights.storage[base + (kh - 1 - y) * kw + (kw - 1 - x)]
            } }
        }
        c.weights = Tensor(shape: weights.shape, storage: w)
        return c
    }

    /// Applies the convolution to a [C, H, W] (or [1, C, H, W]) tensor and returns [outC, Ho, Wo].
    /// An `activation` is applied to each block of the output right after it is computed, while the
    /// block is still in cache: the same values as applying it afterwards, one pass over memory fewer.
    public func applied(to input: Tensor, activation: Activation? = nil) throws -> Tensor {
        try applied(to: input, adding: nil, activation: activation)
    }

    /// The convolution plus `addend` (a tensor of the output's size, [outC, Ho, Wo] in any shape of that
    /// many elements): each output starts from bias + addend instead of the bias, so a residual block's
    /// Add takes no pass of its own; `activation` then applies to the sum.
    public func applied(to input: Tensor, adding addend: Tensor?, activation: Activation? = nil) throws -> Tensor {
        let out = try outputSize(checking: input)
        if let addend, addend.count != outputChannels * out.y * out.x {
            throw EngineError.shapeMismatch("cannot add \(addend.shape) to a convolution output of [\(outputChannels), \(out.y), \(out.x)]")
        }
        try MatrixProduct.requireLibrary()
        // Every element is written (bias first, then the sums), so no zero fill: one pass fewer over
        // what can be hundreds of megabytes.
        var result = LargeBuffer.uninitialized(outputChannels * out.y * out.x)
        result.withUnsafeMutableBufferPointer { dst in
            let dstP = SendablePointer(dst.baseAddress!)
            if let addend {
                addend.storage.withUnsafeBufferPointer { a in
                    compute(input, into: dstP, outSize: out, activation: activation, addend: SendableConstPointer(a.baseAddress!))
                }
            } else {
                compute(input, into: dstP, outSize: out, activation: activation)
            }
        }
        return Tensor(shape: [outputChannels, out.y, out.x], storage: result)
    }

    /// Writes the [outC, Ho, Wo] result into `destination`, which must hold outC·Ho·Wo floats: a
    /// channel Concat's buffer, for instance, at the offset of this convolution's channels.
    public func apply(to input: Tensor, into destination: UnsafeMutablePointer<Float>, activation: Activation? = nil) throws {
        try MatrixProduct.requireLibrary()
        compute(input, into: SendablePointer(destination), outSize: try outputSize(checking: input), activation: activation)
    }

    /// The output size for `input`, after checking that the input, groups and bias fit the weights.
    public func outputSize(checking input: Tensor) throws -> Pair {
        guard let (c, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("convolution input must be [C, H, W], got \(input.shape)")
        }
        guard groups >= 1, c % groups == 0, outputChannels % groups == 0 else {
            throw EngineError.shapeMismatch("\(c) input channels and \(outputChannels) filters cannot be split into \(groups) groups")
        }
        guard c / groups == inputChannelsPerGroup else {
            throw EngineError.shapeMismatch("the filters expect \(inputChannelsPerGroup * groups) input channels, the input has \(c)")
        }
        if let bias, bias.count != outputChannels {
            throw EngineError.shapeMismatch("bias has \(bias.count) values for \(outputChannels) filters")
        }
        return try outputSize(height: h, width: w)
    }

    private func compute(_ input: Tensor, into dstP: SendablePointer<Float>, outSize out: Pair, activation: Activation?,
                         addend: SendableConstPointer<Float>? = nil) {
        let (_, h, w) = input.planeShape!
        let cinG = inputChannelsPerGroup, coutG = outputChannels / groups
        let depthwise = cinG == 1 && coutG == 1
        // Both paths read zero padding as zeros themselves: no padded copy of the input.
        let padsItself = border == .zero
        let source = padsItself ? input : input.padded(by: padding, border: border)
        // The planes at `source` and the zero rows and columns (top, left) read before them.
        let planeSize = padsItself ? Pair(h, w) : Pair(h + padding.top + padding.bottom, w + padding.left + padding.right)
        let lead = padsItself ? Pair(padding.top, padding.left) : Pair(0, 0)
        source.storage.withUnsafeBufferPointer { src in
            weights.storage.withUnsafeBufferPointer { wts in
                let srcP = SendableConstPointer(src.baseAddress!), wP = SendableConstPointer(wts.baseAddress!)
                if depthwise {
                    self.depthwise(src: srcP, planeSize: planeSize, lead: lead, weights: wP, out: dstP, outSize: out,
                                   activation: activation, addend: addend)
                } else {
                    for g in 0..<groups {
                        grouped(group: g, src: srcP, planeSize: planeSize, lead: lead, weights: wP, out: dstP,
                                outSize: out, activation: activation, addend: addend)
                    }
                }
            }
        }
    }

    // One filter per channel: a direct sliding window over blocks of output rows of one channel, split
    // over the workers. Each block first copies the input it reads into a small scratch buffer (zeros
    // where the window reaches into zero padding, so the input is never padded as a whole), as stride
    // phases: phase (q, p) holds the padded rows q, q + sy, … and in them the columns p, p + sx, …, so
    // that every tap reads one phase at a fixed offset. Then each tap is one sweep over the whole block
    // taken as a flat run of rows of the phase width (the few columns past the output's width are
    // computed and dropped): 7- or 14-wide rows are too short for the vector loops one by one. The
    // sums are `accumulateRow`'s in its order (at stride 1 it runs on the block), so the values are
    // those of a sliding window row by row.
    /// `planeSize` is the size of the planes at `src`; `lead` the zero rows and columns (top, left) before them.
    private func depthwise(src: SendableConstPointer<Float>, planeSize: Pair, lead: Pair, weights: SendableConstPointer<Float>,
                           out: SendablePointer<Float>, outSize: Pair, activation: Activation?,
                           addend: SendableConstPointer<Float>?) {
        let channels = outputChannels
        let kernel = kernelSize, stride = self.stride, dilation = self.dilation, bias = self.bias
        let (sy, sx) = (stride.y, stride.x)
        // A phase's width and extra rows: enough for the last tap of the last output column and row.
        let width = outSize.x + ((kernel.x - 1) * dilation.x) / sx
        let extraRows = ((kernel.y - 1) * dilation.y) / sy + 1   // + 1: the flat sweep's last row runs past the width
        // Blocks of output rows whose phases fit the scratch budget, and at least four blocks per worker.
        let fitting = min(outSize.y, max(1, Self.depthwiseScratch / (sy * sx * width) - extraRows))
        let perChannel = (4 * Parallel.workers + channels - 1) / channels
        let rowsPerBlock = max(1, min(fitting, (outSize.y + perChannel - 1) / perChannel))
        let blocks = (outSize.y + rowsPerBlock - 1) / rowsPerBlock
        let phaseRows = rowsPerBlock + extraRows, phaseSize = phaseRows * width
        Parallel.forEachChunk(channels * blocks) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: sy * sx * phaseSize + rowsPerBlock * width)
            defer { scratch.deallocate() }
            let acc = scratch + sy * sx * phaseSize
            for item in range {
                let ch = item / blocks, oy0 = (item % blocks) * rowsPerBlock
                let rows = min(outSize.y, oy0 + rowsPerBlock) - oy0
                let plane = src.base + ch * planeSize.y * planeSize.x
                for q in 0..<sy {
                    for p in 0..<sx {
                        Self.gatherPhase(into: scratch + (q * sx + p) * phaseSize, rows: phaseRows, width: width,
                                         plane: plane, planeSize: planeSize, firstRow: oy0 * sy + q - lead.y, rowStep: sy,
                                         firstColumn: p - lead.x, columnStep: sx)
                    }
                }
                // Each output starts from its bias (+ addend); the columns past the output's width from 0.
                let first = (ch * outSize.y + oy0) * outSize.x
                for r in 0..<rows {
                    let line = acc + r * width
                    line.update(repeating: bias?[ch] ?? 0, count: outSize.x)
                    if let addend {
                        let a = addend.base + first + r * outSize.x
                        for ox in 0..<outSize.x { line[ox] += a[ox] }
                    }
                    (line + outSize.x).update(repeating: 0, count: width - outSize.x)
                }
                let k = weights.base + ch * kernel.y * kernel.x
                if sy == 1 && sx == 1 {
                    Convolution.accumulateRow(into: acc, count: rows * width, plane: scratch, planeWidth: width,
                                              row: 0, kernel: k, kernelSize: kernel, stride: 1, dilation: dilation)
                } else {
                    for ky in 0..<kernel.y {
                        let cy = ky * dilation.y
                        for kx in 0..<kernel.x {
                            let wv = k[ky * kernel.x + kx]
                            if wv == 0 { continue }
                            let cx = kx * dilation.x
                            let base = scratch + ((cy % sy) * sx + cx % sx) * phaseSize + (cy / sy) * width + cx / sx
                            fm_sweep1(acc, base, wv, rows * width)
                        }
                    }
                }
                for r in 0..<rows { (out.base + first + r * outSize.x).update(from: acc + r * width, count: outSize.x) }
                if let activation { activation.apply(to: out.base + first, count: rows * outSize.x) }
            }
        }
    }

    /// Scratch floats per depthwise block (about 256 KB, within a core's L2).
    static let depthwiseScratch = 65536

    /// One stride phase of `plane`: dst[i·width + j] = plane[firstRow + i·rowStep][firstColumn + j·columnStep]
    /// for i < rows, j < width, and 0 where that lies outside the plane (zero padding).
    static func gatherPhase(into dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, plane: UnsafePointer<Float>,
                            planeSize: Pair, firstRow: Int, rowStep: Int, firstColumn: Int, columnStep: Int) {
        // Columns j with 0 ≤ firstColumn + j·columnStep < planeSize.x.
        let lo = min(width, max(0, ceilDivide(-firstColumn, columnStep)))
        let hi = max(lo, min(width, ceilDivide(planeSize.x - firstColumn, columnStep)))
        for i in 0..<rows {
            let line = dst + i * width, y = firstRow + i * rowStep
            guard y >= 0, y < planeSize.y, lo < hi else { line.update(repeating: 0, count: width); continue }
            let from = plane + y * planeSize.x + firstColumn
            if lo > 0 { line.update(repeating: 0, count: lo) }
            if columnStep == 1 {
                (line + lo).update(from: from + lo, count: hi - lo)
            } else {
                fm_copy_strided(line + lo, from + lo * columnStep, columnStep, hi - lo)
            }
            if hi < width { (line + hi).update(repeating: 0, count: width - hi) }
        }
    }

    /// ⌈a / b⌉ for b > 0 and any sign of a.
    private static func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

    /// orow[ox] += Σ k[ky,kx] · plane[row + ky·dy][ox·sx + kx·dx]
    @inline(__always)
    static func accumulateRow(into orow: UnsafeMutablePointer<Float>, count n: Int, plane: UnsafePointer<Float>,
                              planeWidth: Int, row: Int, kernel k: UnsafePointer<Float>, kernelSize: Pair,
                              stride sx: Int, dilation: Pair) {
        // Four kernel rows per sweep at stride 1: orow is loaded and stored once for four multiply-adds
        // instead of once per tap (measurements: docs/benchmark.md#kernel-rows-per-sweep).
        var firstSingle = 0
        if sx == 1 {
            let kw = kernelSize.x, dy = dilation.y
            while firstSingle + 4 <= kernelSize.y {
                let ky = firstSingle
                for kx in 0..<kw {
                    let w0 = k[ky * kw + kx], w1 = k[(ky + 1) * kw + kx]
                    let w2 = k[(ky + 2) * kw + kx], w3 = k[(ky + 3) * kw + kx]
                    if w0 == 0 && w1 == 0 && w2 == 0 && w3 == 0 { continue }
                    let b0 = plane + (row + ky * dy) * planeWidth + kx * dilation.x
                    let b1 = b0 + dy * planeWidth, b2 = b1 + dy * planeWidth, b3 = b2 + dy * planeWidth
                    fm_sweep4(orow, b0, b1, b2, b3, w0, w1, w2, w3, n)
                }
                firstSingle += 4
            }
            // The last two or three rows in one sweep too (a 3×1 derivative factor is one sweep, not three).
            let rest = kernelSize.y - firstSingle
            if rest == 2 || rest == 3 {
                let ky = firstSingle
                for kx in 0..<kw {
                    let w0 = k[ky * kw + kx], w1 = k[(ky + 1) * kw + kx], w2 = rest == 3 ? k[(ky + 2) * kw + kx] : 0
                    if w0 == 0 && w1 == 0 && w2 == 0 { continue }
                    let b0 = plane + (row + ky * dy) * planeWidth + kx * dilation.x, b1 = b0 + dy * planeWidth
                    if rest == 3 {
                        let b2 = b1 + dy * planeWidth
                        fm_sweep3(orow, b0, b1, b2, w0, w1, w2, n)
                    } else {
                        fm_sweep2(orow, b0, b1, w0, w1, n)
                    }
                }
                firstSingle = kernelSize.y
            }
        }
        for ky in firstSingle..<kernelSize.y {
            let irow = plane + (row + ky * dilation.y) * planeWidth
            // Four taps of the row per sweep at stride 1, for the same reason (the horizontal pass of a
            // 61-tap Gaussian).
            var firstTap = 0
            if sx == 1 {
                let kw = kernelSize.x, dx = dilation.x
                while firstTap + 4 <= kw {
                    let kx = firstTap
                    let w0 = k[ky * kw + kx], w1 = k[ky * kw + kx + 1], w2 = k[ky * kw + kx + 2], w3 = k[ky * kw + kx + 3]
                    firstTap += 4
                    if w0 == 0 && w1 == 0 && w2 == 0 && w3 == 0 { continue }
                    let b0 = irow + kx * dx, b1 = b0 + dx, b2 = b1 + dx, b3 = b2 + dx
                    fm_sweep4(orow, b0, b1, b2, b3, w0, w1, w2, w3, n)
                }
                let rest = kw - firstTap
                if rest == 2 || rest == 3 {
                    let kx = firstTap
                    let w0 = k[ky * kw + kx], w1 = k[ky * kw + kx + 1], w2 = rest == 3 ? k[ky * kw + kx + 2] : 0
                    firstTap = kw
                    if !(w0 == 0 && w1 == 0 && w2 == 0) {
                        let b0 = irow + kx * dx, b1 = b0 + dx
                        if rest == 3 {
                            let b2 = b1 + dx
                            fm_sweep3(orow, b0, b1, b2, w0, w1, w2, n)
                        } else {
                            fm_sweep2(orow, b0, b1, w0, w1, n)
                        }
                    }
                }
            }
            for kx in firstTap..<kernelSize.x {
                let wv = k[ky * kernelSize.x + kx]
                if wv == 0 { continue }
                let base = irow + kx * dilation.x
                if sx == 1 {
                    fm_sweep1(orow, base, wv, n)
                } else {
                    for ox in 0..<n { orow[ox] += wv * base[ox * sx] }
                }
            }
        }
    }

    // The general case: im2col over bands of output rows, then one matrix product per band
    // (weights [coutG, cinG·kh·kw] × columns [cinG·kh·kw, band], `MatrixProduct`). The bands are split
    // over our workers, each with its own column buffer of about 1 MB (it stays in cache between
    // im2col and the product) and a single-threaded product: a library's own threads on top of ours
    // would oversubscribe the cores. 1×1 convolutions need no im2col: the input planes already are
    // the columns, and the workers take slices of the output columns.
    /// `planeSize` is the size of the planes at `src`; `lead` the zero rows and columns (top, left) that
    /// lie before them, read as zeros (the planes are then unpadded).
    private func grouped(group g: Int, src: SendableConstPointer<Float>, planeSize: Pair, lead: Pair,
                         weights: SendableConstPointer<Float>, out: SendablePointer<Float>, outSize: Pair,
                         activation: Activation?, addend: SendableConstPointer<Float>?) {
        let cinG = inputChannelsPerGroup, coutG = outputChannels / groups
        let (kh, kw) = (kernelSize.y, kernelSize.x)
        let k = cinG * kh * kw
        let nTotal = outSize.y * outSize.x
        let inP = SendableConstPointer(src.base + g * cinG * planeSize.y * planeSize.x)
        let wP = SendableConstPointer(weights.base + g * coutG * k)
        let outP = SendablePointer(out.base + g * coutG * nTotal)
        let addP = addend.map { SendableConstPointer($0.base + g * coutG * nTotal) }
        let bias = self.bias.map { Array($0[(g * coutG)..<((g + 1) * coutG)]) }
        // out[oc, n0 ..< n0 + n] = bias[oc] for oc in `filters`, then += W · columns, then the activation
        // while the block is in cache.
        @Sendable func product(columns: UnsafePointer<Float>, columnStride: Int, n0: Int, n: Int, filters: Range<Int>) {
            for oc in filters {
                let row = outP.base + oc * nTotal + n0
                row.update(repeating: bias?[oc] ?? 0, count: n)
                if let addP {
                    let arow = addP.base + oc * nTotal + n0
                    for j in 0..<n { row[j] += arow[j] }
                }
            }
            MatrixProduct.multiply(m: filters.count, n: n, k: k, a: wP.base + filters.lowerBound * k, lda: k, b: columns,
                                   ldb: columnStride, beta: 1, c: outP.base + filters.lowerBound * nTotal + n0, ldc: nTotal)
            if let activation {
                if n == nTotal {
                    // The filters' rows are contiguous: one run (a small map's rows are short).
                    activation.apply(to: outP.base + filters.lowerBound * nTotal, count: filters.count * nTotal)
                } else {
                    for oc in filters { activation.apply(to: outP.base + oc * nTotal + n0, count: n) }
                }
            }
        }
        let workers = Parallel.workers
        if kh == 1 && kw == 1 && stride == .one && padding.isZero {
            // Slices of about 512 KB of input columns, so that the bias rows written before the product
            // are still in cache when it adds to them.
            let step = max(256, (1 << 17) / max(k, coutG))
            @Sendable func slices(_ range: Range<Int>, filters: Range<Int>) {
                var n0 = range.lowerBound
                while n0 < range.upperBound {
                    let n = min(step, range.upperBound - n0)
                    product(columns: inP.base + n0, columnStride: nTotal, n0: n0, n: n, filters: filters)
                    n0 += n
                }
            }
            if nTotal >= 4096 * workers || coutG < 16 * workers {
                Parallel.forEachChunk(nTotal, minimumChunk: 4096) { slices($0, filters: 0..<coutG) }
            } else {
                // Few columns (a 56×56 map or smaller): the workers take the filters in shares instead,
                // all of them reading the same columns.
                Parallel.forEachChunk(coutG, minimumChunk: 16) { slices(0..<nTotal, filters: $0) }
            }
            return
        }
        // Bands of output rows small enough that both the band's columns and its output block (filled
        // with the bias, then added to by the product) stay in cache, in a multiple of the worker count.
        let cachedRows = max(1, min(outSize.y, (1 << 18) / max(1, max(k, coutG) * outSize.x)))
        var bands = (outSize.y + cachedRows - 1) / cachedRows
        if bands > 1 { bands = min(outSize.y, (bands + workers - 1) / workers * workers) }
        let bandRows = (outSize.y + bands - 1) / bands
        bands = (outSize.y + bandRows - 1) / bandRows
        let stride = self.stride, dilation = self.dilation
        // The columns of output rows y0 ..< y0 + rows, tap rows `taps`, into `columns` (rows·Wo per tap row).
        @Sendable func gather(y0: Int, rows: Int, taps: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
            let n = rows * outSize.x
            for r in taps {
                let c = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                let plane = inP.base + c * planeSize.y * planeSize.x
                let dst = columns + r * n
                // Input column of output column ox: ox·sx + offset; it lies in the plane for ox in lo ..< hi.
                let sx = stride.x, offset = kx * dilation.x - lead.x, width = planeSize.x
                let lo = offset >= 0 ? 0 : min(outSize.x, (-offset + sx - 1) / sx)
                let hi = width - 1 - offset < 0 ? lo : max(lo, min(outSize.x, (width - 1 - offset) / sx + 1))
                for oy in 0..<rows {
                    let iy = (y0 + oy) * stride.y + ky * dilation.y - lead.y
                    let drow = dst + oy * outSize.x
                    guard iy >= 0 && iy < planeSize.y && hi > lo else {
                        drow.update(repeating: 0, count: outSize.x)
                        continue
                    }
                    // (Loops, not memset: these are one or two columns.)
                    for j in 0..<lo { drow[j] = 0 }
                    for j in hi..<outSize.x { drow[j] = 0 }
                    let first = plane + iy * width + offset + lo * sx
                    if sx == 1 {
                        (drow + lo).update(from: first, count: hi - lo)
                    } else if sx == 2 {
                        Convolution.gatherEven(first, into: drow + lo, count: hi - lo, available: width - (offset + lo * sx))
                    } else {
                        for ox in 0..<(hi - lo) { drow[lo + ox] = first[ox * sx] }
                    }
                }
            }
        }
        if bands < workers && coutG >= 16 * workers {
            // One band (a 14×14 or 7×7 map): the workers gather shares of the columns, then take the
            // filters in shares.
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * nTotal)
            defer { columns.deallocate() }
            let colP = SendablePointer(columns)
            Parallel.forEachChunk(k, minimumChunk: 16) { gather(y0: 0, rows: outSize.y, taps: $0, into: colP.base) }
            Parallel.forEachChunk(coutG, minimumChunk: 16) {
                product(columns: colP.base, columnStride: nTotal, n0: 0, n: nTotal, filters: $0)
            }
            return
        }
        Parallel.forEachChunk(bands) { range in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * bandRows * outSize.x)
            defer { columns.deallocate() }
            for band in range {
                let y0 = band * bandRows, rows = min(bandRows, outSize.y - y0)
                let n = rows * outSize.x
                gather(y0: y0, rows: rows, taps: 0..<k, into: columns)
                product(columns: columns, columnStride: n, n0: y0 * outSize.x, n: n, filters: 0..<coutG)
            }
        }
    }

    /// out[i] = p[2i] for i < n, four at a time from the even lanes of eight; `available` is how many
    /// samples may be read from p.
    @inline(__always)
    static func gatherEven(_ p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count n: Int, available: Int) {
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 4 <= n && 2 * i + 8 <= available {
            let v = raw.loadUnaligned(fromByteOffset: 8 * i, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: v.evenHalf, as: SIMD4<Float>.self)
            i += 4
        }
        while i < n { out[i] = p[2 * i]; i += 1 }
    }
}
