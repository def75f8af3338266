/// A depthwise convolution whose every filter is an outer product column ⊗ row, run as two 1-D
/// passes: for each output row, a vertical pass sums kh padded input rows into one row buffer, then a
/// horizontal pass slides the row factor along it with the x stride. Cost per output row is
/// kh·Wp + kw·Wo multiply-adds instead of kh·kw·Wo (a 61-tap Gaussian: ~122 instead of 3721).
///
/// It is part of the one core, not a second one: the rows are padded by the same
/// `Tensor.padded(by:border:)` and the columns by the same column map (`BorderMode.edgeColumns`, on the
/// vertical pass's output), the output size is `Convolution.outputSize`, and both passes run the same inner loop
/// `Convolution.accumulateRow` as the direct path, or, for factors of 19 taps and more, the engine's
/// one matrix product (`ToeplitzPasses`).
public struct SeparableConvolution: Sendable {
    /// [C, kh]: the column factor of each channel's filter.
    public var columns: Tensor
    /// [C, kw]: the row factor of each channel's filter.
    public var rows: Tensor
    public var bias: [Float]?
    public var stride: Pair
    public var dilation: Pair
    public var padding: Padding
    public var border: BorderMode

    public init(columns: Tensor, rows: Tensor, bias: [Float]? = nil, stride: Pair = .one, dilation: Pair = .one,
                padding: Padding = .none, border: BorderMode = .zero) {
        precondition(columns.rank == 2 && rows.rank == 2 && columns.shape[0] == rows.shape[0],
                     "columns must be [C, kh] and rows [C, kw]")
        self.columns = columns
        self.rows = rows
        self.bias = bias
        self.stride = stride
        self.dilation = dilation
        self.padding = padding
        self.border = border
    }

    public var channels: Int { columns.shape[0] }
    public var kernelSize: Pair { Pair(columns.shape[1], rows.shape[1]) }

    /// Multiply-adds per output row of the two passes against the direct window, with a 25% margin for
    /// the second pass over memory. Every square kernel from 3×3 up qualifies on images wider than a few
    /// pixels; 1×N and N×1 kernels stay direct (measurements: docs/benchmark.md#separable-or-direct).
    public func isCheaper(inputWidth w: Int, outputWidth wo: Int) -> Bool {
        Self.cost(kernel: kernelSize, padding: padding, inputWidth: w, outputWidth: wo)
            < Double(kernelSize.y * kernelSize.x * wo)
    }

    /// 1.25 · (kh·Wp + kw·Wo): multiply-adds per output row of the two passes, with the margin.
    public static func cost(kernel: Pair, padding: Padding, inputWidth w: Int, outputWidth wo: Int) -> Double {
        let paddedWidth = w + padding.left + padding.right
        return Double(kernel.y * paddedWidth + kernel.x * wo) * 1.25
    }

    /// Applies the filters to a [C, H, W] tensor and returns [C, Ho, Wo], the same numbers as the
    /// direct `Convolution` up to float rounding.
    public func applied(to input: Tensor) throws -> Tensor {
        try applied(to: input, products: true)
    }

    /// `products: false` keeps long factors on the direct passes (for the tests that compare the two).
    func applied(to input: Tensor, products: Bool) throws -> Tensor {
        guard let (_, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("convolution input must be [C, H, W], got \(input.shape)")
        }
        let out = try Convolution.outputSize(input: Pair(h, w), kernel: kernelSize, stride: stride, dilation: dilation,
                                             padding: padding)
        return try applied(to: input, toeplitz: products ? ToeplitzPasses(self, inputSize: Pair(h, w), outputSize: out) : nil)
    }

    /// With the matrices of `toeplitz` (made once for inputs of this width, `FilterPlan`), or the direct
    /// passes when nil.
    func applied(to input: Tensor, toeplitz: ToeplitzPasses?) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("convolution input must be [C, H, W], got \(input.shape)")
        }
        guard c == channels else {
            throw EngineError.shapeMismatch("the filters expect \(channels) input channels, the input has \(c)")
        }
        if let bias, bias.count != channels {
            throw EngineError.shapeMismatch("bias has \(bias.count) values for \(channels) filters")
        }
        let out = try Convolution.outputSize(input: Pair(h, w), kernel: kernelSize, stride: stride, dilation: dilation,
                                             padding: padding)
        // Every output element is written (bias first, then the sums).
        var result = LargeBuffer.uninitialized(c * out.y * out.x)
        // Padded above and below only: both routes pad left and right on the vertical pass's output.
        let padded = input.padded(by: padding.rowsOnly, border: border)
        if var passes = toeplitz, passes.inputWidth == w, passes.outputSize.x == out.x,
           input.storage.withUnsafeBufferPointer(ToeplitzPasses.isFinite) {
            passes.outputSize.y = out.y
            padded.storage.withUnsafeBufferPointer { src in
                result.withUnsafeMutableBufferPointer { dst in
                    passes.apply(source: src.baseAddress!, paddedHeight: h + padding.top + padding.bottom, channels: c,
                                 into: dst.baseAddress!)
                }
            }
            return Tensor(shape: [c, out.y, out.x], storage: result)
        }
        let plan = Plan(self, inputSize: Pair(h, w), outputSize: out)
        padded.storage.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let srcP = SendableConstPointer(src.baseAddress!), dstP = SendablePointer(dst.baseAddress!)
                Parallel.forEachChunk(c * out.y, minimumChunk: 8) { range in
                    let lines = UnsafeMutablePointer<Float>.allocate(capacity: Plan.group * plan.lineWidth)
                    defer { lines.deallocate() }
                    plan.forEachGroup(in: range) { ch, oy0, g in
                        plan.filter(channel: ch, rows: oy0, count: g, source: srcP.base,
                                    into: dstP.base + (ch * out.y + oy0) * out.x, lines: lines)
                    }
                }
            }
        }
        return Tensor(shape: [c, out.y, out.x], storage: result)
    }
}

extension SeparableConvolution {
    /// √(x² + y²) of two filters of one geometry (Sobel, Scharr, Prewitt): the input is padded once, and
    /// each group of rows is run through both filters and combined while it is in cache, instead of two
    /// full passes, two result tensors and a third pass. The numbers are those of `applied(to:)` on each
    /// filter followed by the magnitude.
    public static func gradientMagnitude(_ x: SeparableConvolution, _ y: SeparableConvolution, of input: Tensor) throws -> Tensor {
        guard x.kernelSize == y.kernelSize, x.stride == y.stride, x.dilation == y.dilation, x.padding == y.padding,
              x.border == y.border, x.channels == y.channels, x.bias == nil, y.bias == nil else {
            throw EngineError.shapeMismatch("a gradient magnitude needs two bias-free filters of one size, stride, dilation, padding and border")
        }
        guard let (c, h, w) = input.planeShape, c == x.channels else {
            throw EngineError.shapeMismatch("the filters expect \(x.channels) input channels, the input has shape \(input.shape)")
        }
        let out = try Convolution.outputSize(input: Pair(h, w), kernel: x.kernelSize, stride: x.stride, dilation: x.dilation,
                                             padding: x.padding)
        let padded = input.padded(by: x.padding.rowsOnly, border: x.border)
        var result = LargeBuffer.uninitialized(c * out.y * out.x)
        let px = Plan(x, inputSize: Pair(h, w), outputSize: out), py = Plan(y, inputSize: Pair(h, w), outputSize: out)
        // 3 × 3 at horizontal stride 1 (every built-in gradient): one sweep per row for both filters.
        let threeTaps = x.kernelSize == Pair(3, 3) && x.stride.x == 1
            && [px.columnFactors, px.rowFactors, py.columnFactors, py.rowFactors].allSatisfy { factors in
                Swift.stride(from: 0, to: factors.count, by: 3).allSatisfy { factors[$0..<($0 + 3)].contains { $0 != 0 } }
            }
        padded.storage.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let srcP = SendableConstPointer(src.baseAddress!), dstP = SendablePointer(dst.baseAddress!)
                Parallel.forEachChunk(c * out.y, minimumChunk: 8) { range in
                    let lines = UnsafeMutablePointer<Float>.allocate(capacity: Plan.group * px.lineWidth)
                    // The second filter's rows, when the two filters run one after the other.
                    let second = threeTaps ? nil : UnsafeMutablePointer<Float>.allocate(capacity: Plan.group * out.x)
                    defer { lines.deallocate(); second?.deallocate() }
                    px.forEachGroup(in: range) { ch, oy0, g in
                        let gx = dstP.base + (ch * out.y + oy0) * out.x
                        guard let other = second else {
                            gradientRows(px, py, channel: ch, rows: oy0, count: g, source: srcP.base, into: gx, lines: lines)
                            return
                        }
                        px.filter(channel: ch, rows: oy0, count: g, source: srcP.base, into: gx, lines: lines)
                        py.filter(channel: ch, rows: oy0, count: g, source: srcP.base, into: other, lines: lines)
                        for i in 0..<(g * out.x) { gx[i] = (gx[i] * gx[i] + other[i] * other[i]).squareRoot() }
                    }
                }
            }
        }
        return Tensor(shape: [c, out.y, out.x], storage: result)
    }

    /// Output rows oy0 ..< oy0 + g of √(x² + y²) for two 3 × 3 filters at horizontal stride 1: for each
    /// row, one sweep over its three input rows makes both filters' vertical passes, and one sweep over
    /// those makes both horizontal passes and the magnitude, where `Plan.filter` twice and a magnitude
    /// pass wrote and re-read each line and output five times. Every sum is the expression
    /// `Convolution.accumulateRow` evaluates for three taps, (w₀a + w₁b) + w₂c, so the numbers are the
    /// same (it adds each to a zero, which can only turn a −0 into +0, and squaring makes both +0).
    /// `lines` holds two padded lines.
    @inline(__always)
    static func gradientRows(_ x: Plan, _ y: Plan, channel ch: Int, rows oy0: Int, count g: Int, source: UnsafePointer<Float>,
                             into out: UnsafeMutablePointer<Float>, lines: UnsafeMutablePointer<Float>) {
        let (w, wo, width, left) = (x.inputWidth, x.outputSize.x, x.lineWidth, x.left)
        let (dy, dx) = (x.dilation.y, x.dilation.x)
        let plane = source + ch * x.paddedSize.y * w
        let (a0, a1, a2) = (x.columnFactors[3 * ch], x.columnFactors[3 * ch + 1], x.columnFactors[3 * ch + 2])
        let (b0, b1, b2) = (y.columnFactors[3 * ch], y.columnFactors[3 * ch + 1], y.columnFactors[3 * ch + 2])
        let (k0, k1, k2) = (x.rowFactors[3 * ch], x.rowFactors[3 * ch + 1], x.rowFactors[3 * ch + 2])
        let (m0, m1, m2) = (y.rowFactors[3 * ch], y.rowFactors[3 * ch + 1], y.rowFactors[3 * ch + 2])
        let lx = lines, ly = lines + width
        for r in 0..<g {
            let r0 = plane + (oy0 + r) * x.stride.y * w, r1 = r0 + dy * w, r2 = r1 + dy * w
            let vx = lx + left, vy = ly + left
            for i in 0..<w {
                let p = r0[i], q = r1[i], s = r2[i]
                vx[i] = (a0 * p + a1 * q) + a2 * s
                vy[i] = (b0 * p + b1 * q) + b2 * s
            }
            BorderMode.fillEdges(of: lx, left: left, x.edgeColumns)
            BorderMode.fillEdges(of: ly, left: left, y.edgeColumns)
            // Shifted pointers rather than i + dx: no overflow checks in the loop, so it vectorises.
            let (x1, x2, y1, y2) = (lx + dx, lx + 2 * dx, ly + dx, ly + 2 * dx)
            let o = out + r * wo
            for i in 0..<wo {
                let gx = (k0 * lx[i] + k1 * x1[i]) + k2 * x2[i]
                let gy = (m0 * ly[i] + m1 * y1[i]) + m2 * y2[i]
                o[i] = (gx * gx + gy * gy).squareRoot()
            }
        }
    }

    /// One filter's geometry and factors, ready for its row loop.
    struct Plan: Sendable {
        /// Output rows of one channel whose vertical pass runs together, and the strip width it runs in.
        static let group = 16, strip = 512
        let columnFactors: [Float], rowFactors: [Float]
        let bias: [Float]?
        let kernel: Pair, stride: Pair, dilation: Pair
        let paddedSize: Pair, outputSize: Pair, usedWidth: Int
        /// The input's width and left padding; a row of `lines` holds the padded columns 0 ..< lineWidth.
        let inputWidth: Int, left: Int, lineWidth: Int
        let edgeColumns: [(column: Int, source: Int)]
        let symmetricColumns: Bool, symmetricRows: Bool

        init(_ f: SeparableConvolution, inputSize: Pair, outputSize out: Pair) {
            columnFactors = f.columns.storage
            rowFactors = f.rows.storage
            bias = f.bias
            kernel = f.kernelSize; stride = f.stride; dilation = f.dilation
            paddedSize = Pair(inputSize.y + f.padding.top + f.padding.bottom, inputSize.x + f.padding.left + f.padding.right)
            outputSize = out
            // Only the padded columns some output window reaches.
            usedWidth = (out.x - 1) * f.stride.x + f.dilation.x * (f.kernelSize.x - 1) + 1
            inputWidth = inputSize.x
            left = f.padding.left
            lineWidth = max(usedWidth, left + inputWidth)
            edgeColumns = f.border.edgeColumns(left: left, inputWidth: inputWidth, paddedWidth: usedWidth)
            // Symmetric factors (every Gaussian and box) sum mirrored pairs first: half the multiplies.
            symmetricColumns = kernel.y >= 5 && SeparableConvolution.isSymmetric(columnFactors, taps: kernel.y)
            symmetricRows = kernel.x >= 5 && stride.x == 1 && SeparableConvolution.isSymmetric(rowFactors, taps: kernel.x)
        }

        /// Splits (channel, row) items into groups of up to `group` rows of one channel.
        @inline(__always)
        func forEachGroup(in range: Range<Int>, _ body: (_ channel: Int, _ firstRow: Int, _ count: Int) -> Void) {
            var item = range.lowerBound
            while item < range.upperBound {
                let ch = item / outputSize.y, oy0 = item % outputSize.y
                let g = min(Plan.group, range.upperBound - item, outputSize.y - oy0)
                body(ch, oy0, g)
                item += g
            }
        }

        /// Output rows oy0 ..< oy0 + g of channel `ch` into `out` (rows outputSize.x apart). The vertical
        /// pass runs strip by strip across the width: the kh input rows under a strip stay in cache while
        /// the group's rows are summed, where whole rows (a 61-tap Gaussian on a 6000-wide photo reads
        /// 61 × 24 KB per output row) streamed from memory each time. Each element gets the same sum in
        /// the same order either way.
        @inline(__always)
        func filter(channel ch: Int, rows oy0: Int, count g: Int, source: UnsafePointer<Float>,
                    into out: UnsafeMutablePointer<Float>, lines: UnsafeMutablePointer<Float>) {
            columnFactors.withUnsafeBufferPointer { c in
                rowFactors.withUnsafeBufferPointer { r in
                    filter(channel: ch, rows: oy0, count: g, source: source, into: out, lines: lines,
                           columns: c.baseAddress!, rows: r.baseAddress!)
                }
            }
        }

        @inline(__always)
        private func filter(channel ch: Int, rows oy0: Int, count g: Int, source: UnsafePointer<Float>,
                            into out: UnsafeMutablePointer<Float>, lines: UnsafeMutablePointer<Float>,
                            columns: UnsafePointer<Float>, rows: UnsafePointer<Float>) {
            let (kh, kw, w) = (kernel.y, kernel.x, inputWidth)
            let plane = source + ch * paddedSize.y * w
            lines.update(repeating: 0, count: g * lineWidth)
            var x0 = 0
            while x0 < w {
                let n = min(Plan.strip, w - x0)
                for r in 0..<g {
                    let line = lines + r * lineWidth + left + x0
                    if symmetricColumns {
                        SeparableConvolution.accumulateSymmetric(into: line, count: n, source: plane + x0 + (oy0 + r) * stride.y * w,
                                                                 step: dilation.y * w, weights: columns + ch * kh, taps: kh)
                    } else {
                        Convolution.accumulateRow(into: line, count: n, plane: plane + x0, planeWidth: w, row: (oy0 + r) * stride.y,
                                                  kernel: columns + ch * kh, kernelSize: Pair(kh, 1), stride: 1, dilation: dilation)
                    }
                }
                x0 += n
            }
            for r in 0..<g { BorderMode.fillEdges(of: lines + r * lineWidth, left: left, edgeColumns) }
            for r in 0..<g {
                let orow = out + r * outputSize.x
                orow.update(repeating: bias?[ch] ?? 0, count: outputSize.x)
                if symmetricRows {
                    SeparableConvolution.accumulateSymmetric(into: orow, count: outputSize.x, source: lines + r * lineWidth,
                                                             step: dilation.x, weights: rows + ch * kw, taps: kw)
                } else {
                    Convolution.accumulateRow(into: orow, count: outputSize.x, plane: lines + r * lineWidth,
                                              planeWidth: lineWidth, row: 0, kernel: rows + ch * kw,
                                              kernelSize: Pair(1, kw), stride: stride.x, dilation: dilation)
                }
            }
        }
    }

    /// Whether every channel's factor reads the same forwards and backwards (exactly).
    static func isSymmetric(_ factors: [Float], taps k: Int) -> Bool {
        guard k > 0 else { return false }
        for base in Swift.stride(from: 0, to: factors.count, by: k) {
            for t in 0..<(k / 2) where factors[base + t] != factors[base + k - 1 - t] { return false }
        }
        return true
    }

    /// out[x] += Σ_{t<K/2} w[t]·(s[x + t·step] + s[x + (K−1−t)·step]) (+ w[K/2]·s[x + (K/2)·step] when K is
    /// odd), four pairs per sweep: a symmetric K-tap window with K/2 + 1 multiplies instead of K.
    @inline(__always)
    static func accumulateSymmetric(into out: UnsafeMutablePointer<Float>, count n: Int, source s: UnsafePointer<Float>,
                                    step: Int, weights w: UnsafePointer<Float>, taps k: Int) {
        let pairs = k / 2
        var t = 0
        while t + 4 <= pairs {
            let w0 = w[t], w1 = w[t + 1], w2 = w[t + 2], w3 = w[t + 3]
            let a0 = s + t * step, a1 = a0 + step, a2 = a1 + step, a3 = a2 + step
            let b0 = s + (k - 1 - t) * step, b1 = b0 - step, b2 = b1 - step, b3 = b2 - step
            for x in 0..<n {
                let p0: Float = w0 * (a0[x] + b0[x]), p1: Float = w1 * (a1[x] + b1[x])
                let p2: Float = w2 * (a2[x] + b2[x]), p3: Float = w3 * (a3[x] + b3[x])
                out[x] += (p0 + p1) + (p2 + p3)
            }
            t += 4
        }
        while t < pairs {
            let wt = w[t], a = s + t * step, b = s + (k - 1 - t) * step
            for x in 0..<n { out[x] += wt * (a[x] + b[x]) }
            t += 1
        }
        if k % 2 == 1 {
            let wc = w[pairs], c = s + pairs * step
            for x in 0..<n { out[x] += wc * c[x] }
        }
    }
}

extension Convolution {
    /// The same depthwise convolution as two 1-D passes, or nil when it is not depthwise (one input and
    /// one output channel per group) or some filter is not rank 1 within `tolerance` × its largest weight.
    public func separated(tolerance: Float = 1e-5) -> SeparableConvolution? {
        guard inputChannelsPerGroup == 1, groups == outputChannels else { return nil }
        let (kh, kw) = (kernelSize.y, kernelSize.x)
        var columns: [Float] = [], rows: [Float] = []
        for ch in 0..<outputChannels {
            let values = Array(weights.storage[(ch * kh * kw)..<((ch + 1) * kh * kw)])
            guard let f = Kernel(name: "", width: kw, height: kh, values: values).separableFactors(tolerance: tolerance)
            else { return nil }
            columns += f.column
            rows += f.row
        }
        return SeparableConvolution(columns: Tensor(shape: [outputChannels, kh], storage: columns),
                                    rows: Tensor(shape: [outputChannels, kw], storage: rows), bias: bias,
                                    stride: stride, dilation: dilation, padding: padding, border: border)
    }
}
