/// A depthwise convolution whose every filter is an outer product column ⊗ row, run as two 1-D
/// passes: for each output row, a vertical pass sums kh padded input rows into one row buffer, then a
/// horizontal pass slides the row factor along it with the x stride. Cost per output row is
/// kh·Wp + kw·Wo multiply-adds instead of kh·kw·Wo (a 61-tap Gaussian: ~122 instead of 3721).
///
/// It is part of the one core, not a second one: the input is padded by the same
/// `Tensor.padded(by:border:)`, the output size is `Convolution.outputSize`, and both passes run the
/// same inner loop `Convolution.accumulateRow` as the direct path.
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
    /// pixels (measured on 2000×2000 RGB, release build, 2 shared cores: sobel-x 0.25–0.30 s either way,
    /// gaussian:1.2 (7×7) 0.45 s direct vs 0.29 s, gaussian:10 (61×61) 8.1 s vs 0.50 s); 1×N and N×1
    /// kernels stay direct.
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
        let padded = input.padded(by: padding, border: border)
        let ph = h + padding.top + padding.bottom, pw = w + padding.left + padding.right
        let (kh, kw) = (kernelSize.y, kernelSize.x)
        // Only the padded columns some output window reaches.
        let usedWidth = (out.x - 1) * stride.x + dilation.x * (kw - 1) + 1
        var result = [Float](repeating: 0, count: c * out.y * out.x)
        let bias = self.bias, stride = self.stride, dilation = self.dilation
        padded.storage.withUnsafeBufferPointer { src in
            columns.storage.withUnsafeBufferPointer { colBuf in
                rows.storage.withUnsafeBufferPointer { rowBuf in
                    result.withUnsafeMutableBufferPointer { dst in
                        let srcP = SendableConstPointer(src.baseAddress!), dstP = SendablePointer(dst.baseAddress!)
                        let colP = SendableConstPointer(colBuf.baseAddress!), rowP = SendableConstPointer(rowBuf.baseAddress!)
                        Parallel.forEachChunk(c * out.y, minimumChunk: 8) { range in
                            let line = UnsafeMutablePointer<Float>.allocate(capacity: usedWidth)
                            defer { line.deallocate() }
                            for item in range {
                                let ch = item / out.y, oy = item % out.y
                                let plane = srcP.base + ch * ph * pw
                                line.update(repeating: 0, count: usedWidth)
                                Convolution.accumulateRow(into: line, count: usedWidth, plane: plane, planeWidth: pw,
                                                          row: oy * stride.y, kernel: colP.base + ch * kh,
                                                          kernelSize: Pair(kh, 1), stride: 1, dilation: dilation)
                                let orow = dstP.base + (ch * out.y + oy) * out.x
                                orow.update(repeating: bias?[ch] ?? 0, count: out.x)
                                Convolution.accumulateRow(into: orow, count: out.x, plane: line, planeWidth: usedWidth,
                                                          row: 0, kernel: rowP.base + ch * kw,
                                                          kernelSize: Pair(1, kw), stride: stride.x, dilation: dilation)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [c, out.y, out.x], storage: result)
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
