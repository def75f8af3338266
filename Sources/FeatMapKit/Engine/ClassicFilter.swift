/// A classic image filter: one kernel, or two (x and y derivatives) whose responses are combined
/// into the gradient magnitude √(gx² + gy²). Applying it is a depthwise run of the one
/// convolution core (groups = channels), two 1-D passes when the kernel is separable and that is cheaper.
public struct ClassicFilter: Sendable {
    public var name: String
    /// One kernel, or two (x then y) when `combinesMagnitude`.
    public var kernels: [Kernel]
    public var combinesMagnitude: Bool
    /// How responses become pixels unless the user picks another mode.
    public var defaultMode: ResponseMode
    public var summary: String

    public init(name: String, kernels: [Kernel], combinesMagnitude: Bool = false, defaultMode: ResponseMode,
                summary: String) {
        self.name = name
        self.kernels = kernels
        self.combinesMagnitude = combinesMagnitude
        self.defaultMode = defaultMode
        self.summary = summary
    }

    /// A filter around a kernel read from a file or inline spec: a kernel that sums to ≈ 0 responds to
    /// change and can go negative, so its default map is abs; any other is clamped like a blur.
    public init(kernel: Kernel, summary: String) {
        let zeroSum = KernelStatistics(kernel).sumsToZero
        self.init(name: kernel.name, kernels: [kernel], defaultMode: zeroSum ? .abs : .clamp, summary: summary)
    }
}

extension ClassicFilter {
    /// Filters each colour channel of `image` (or its luma with `options.gray`) and returns the raw
    /// float responses in the image's native units; alpha is carried through unfiltered, sampled
    /// at the pixel under each output position's anchor.
    public func applied(to image: Image, options: FilterOptions) throws -> FilterResponse {
        try options.validate()
        let source = options.gray ? image.grayscale : image
        return try applied(toPlanes: source.colorPlanes, alpha: source.alphaPlane, bitDepth: source.bitDepth, options: options)
    }

    /// The same on colour planes [C, H, W] already separated (and already grey when `options.gray`;
    /// this call does not convert) and an optional alpha plane of H·W samples.
    public func applied(toPlanes planes: Tensor, alpha alphaPlane: [Float]?, bitDepth: Int,
                        options: FilterOptions) throws -> FilterResponse {
        try options.validate()
        guard let (channels, height, width) = planes.planeShape else {
            throw EngineError.shapeMismatch("colour planes must be [C, H, W], got \(planes.shape)")
        }
        let maxValue: Float = bitDepth == 16 ? 65535 : 255
        var prepared: [(kernel: Kernel, convolution: Convolution, outputWidth: Int)] = []
        var geometry: (padding: Padding, anchor: Pair, size: Pair)?
        for original in kernels {
            let kernel = options.convolve ? original.flipped : original
            let padding = try options.padding.padding(for: kernel, dilation: options.dilation)
            let largest = max(padding.top, padding.bottom, padding.left, padding.right)
            guard largest <= FilterOptions.maximumPadding else {
                throw EngineError.invalidParameter("padding \(largest) on one side (from the padding choice, kernel size "
                    + "and dilation \(options.dilation)) is more than \(FilterOptions.maximumPadding); use a smaller "
                    + "padding, dilation or kernel")
            }
            let size = try Convolution.outputSize(input: Pair(height, width),
                                                  kernel: Pair(kernel.height, kernel.width), stride: options.stride,
                                                  dilation: options.dilation, padding: padding)
            geometry = (padding, kernel.effectiveAnchor, size)
            let weights = Tensor(shape: [channels, 1, kernel.height, kernel.width],
                                 storage: Array([[Float]](repeating: kernel.values, count: channels).joined()))
            let convolution = Convolution(weights: weights, groups: channels, stride: options.stride,
                                          dilation: options.dilation, padding: padding, border: options.border)
            prepared.append((kernel, convolution, size.x))
        }
        guard let geometry, !prepared.isEmpty else {
            throw EngineError.invalidParameter("the filter \(name) has no kernel")
        }
        // Both derivatives as plain two-pass filters: one fused pass gives the magnitude.
        let routes = prepared.map { Self.separableRoute($0.kernel, direct: $0.convolution, options: options,
                                                        inputWidth: width, outputWidth: $0.outputWidth) }
        var responses: [Tensor] = []
        if combinesMagnitude && prepared.count == 2, let x = routes[0], let y = routes[1],
           let magnitude = try? SeparableConvolution.gradientMagnitude(x, y, of: planes) {
            responses = [magnitude]
        } else {
            for p in prepared {
                responses.append(try Self.filtered(planes, kernel: p.kernel, direct: p.convolution, options: options,
                                                   inputWidth: width, outputWidth: p.outputWidth))
            }
        }
        var result = responses[0]
        if combinesMagnitude && responses.count == 2 {
            let other = responses[1].storage
            result.storage.withUnsafeMutableBufferPointer { gx in
                other.withUnsafeBufferPointer { gy in
                    let x = SendablePointer(gx.baseAddress!), y = SendableConstPointer(gy.baseAddress!)
                    Parallel.forEachChunk(gx.count, minimumChunk: 1 << 16) { range in
                        for i in range { x.base[i] = (x.base[i] * x.base[i] + y.base[i] * y.base[i]).squareRoot() }
                    }
                }
            }
        }
        let offset = (kernels.first?.offset ?? 0) * maxValue / 255
        if offset != 0 {
            result.storage.withUnsafeMutableBufferPointer { r in for i in 0..<r.count { r[i] += offset } }
        }
        let alpha = alphaPlane.map {
            Self.sampled($0, height: height, width: width, at: geometry.size, padding: geometry.padding,
                         anchor: geometry.anchor, stride: options.stride, dilation: options.dilation)
        }
        return FilterResponse(responses: result, alpha: alpha, bitDepth: bitDepth)
    }

    /// One kernel over all planes by the cheapest exact route of the one core: two 1-D passes when the
    /// kernel is column ⊗ row; impulse·δ + column ⊗ row (unsharp, edge) as two passes plus a one-tap
    /// window; a sum of a few separable terms (the rank-3 Laplacian of Gaussian) when that still costs
    /// less than the direct window; otherwise the direct window. `options.separable` forces (true) or
    /// forbids (false) the split routes.
    /// The two 1-D passes `filtered` runs for a kernel that is column ⊗ row, or nil when it takes
    /// another route.
    static func separableRoute(_ kernel: Kernel, direct: Convolution, options: FilterOptions, inputWidth: Int,
                               outputWidth: Int) -> SeparableConvolution? {
        guard options.separable != false, let f = kernel.separableFactors(),
              affordable(1, kernel: kernel, direct: direct, options: options, inputWidth: inputWidth,
                         outputWidth: outputWidth) else { return nil }
        return passes(f.column, f.row, kernel: kernel, direct: direct)
    }

    /// column ⊗ row on every channel, with the direct window's stride, dilation, padding and border.
    static func passes(_ column: [Float], _ row: [Float], kernel: Kernel, direct: Convolution) -> SeparableConvolution {
        let channels = direct.outputChannels
        let repeated = { (v: [Float]) in Array([[Float]](repeating: v, count: channels).joined()) }
        return SeparableConvolution(columns: Tensor(shape: [channels, kernel.height], storage: repeated(column)),
                                    rows: Tensor(shape: [channels, kernel.width], storage: repeated(row)),
                                    stride: direct.stride, dilation: direct.dilation, padding: direct.padding,
                                    border: direct.border)
    }

    /// Whether `terms` pairs of passes cost fewer multiply-adds per output row than the direct window
    /// (always when `options.separable` forces them).
    static func affordable(_ terms: Int, kernel: Kernel, direct: Convolution, options: FilterOptions, inputWidth: Int,
                           outputWidth: Int) -> Bool {
        let pairCost = SeparableConvolution.cost(kernel: Pair(kernel.height, kernel.width), padding: direct.padding,
                                                 inputWidth: inputWidth, outputWidth: outputWidth)
        return options.separable == true || Double(terms) * pairCost < Double(kernel.width * kernel.height * outputWidth)
    }

    static func filtered(_ planes: Tensor, kernel: Kernel, direct: Convolution, options: FilterOptions,
                         inputWidth: Int, outputWidth: Int) throws -> Tensor {
        guard options.separable != false else { return try direct.applied(to: planes) }
        if let route = separableRoute(kernel, direct: direct, options: options, inputWidth: inputWidth,
                                      outputWidth: outputWidth) {
            return try route.applied(to: planes)
        }
        let channels = direct.outputChannels
        let repeated = { (v: [Float]) in Array([[Float]](repeating: v, count: channels).joined()) }
        func pass(_ column: [Float], _ row: [Float]) -> SeparableConvolution {
            passes(column, row, kernel: kernel, direct: direct)
        }
        let forced = options.separable == true
        let affordable = { (terms: Int) in
            Self.affordable(terms, kernel: kernel, direct: direct, options: options, inputWidth: inputWidth,
                            outputWidth: outputWidth)
        }
        let large = kernel.width * kernel.height >= 25 || forced
        if large, affordable(1), let split = kernel.impulsePlusSeparable() {
            var tap = [Float](repeating: 0, count: kernel.width * kernel.height)
            tap[kernel.effectiveAnchor.y * kernel.width + kernel.effectiveAnchor.x] = split.impulse
            var impulse = direct
            impulse.weights = Tensor(shape: direct.weights.shape, storage: repeated(tap))
            var sum = try pass(split.column, split.row).applied(to: planes)
            // The direct path skips zero weights, so the one-tap window costs one multiply-add per pixel.
            let single = try impulse.applied(to: planes).storage
            sum.storage.withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] += single[i] } }
            return sum
        }
        let maximumTerms = forced ? 4 : (1...4).last(where: { affordable($0) }) ?? 0
        if large, maximumTerms >= 2, let terms = kernel.separableTerms(maximumTerms: maximumTerms), terms.count >= 2 {
            var sum = try pass(terms[0].column, terms[0].row).applied(to: planes)
            for term in terms.dropFirst() {
                let next = try pass(term.column, term.row).applied(to: planes).storage
                sum.storage.withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] += next[i] } }
            }
            return sum
        }
        return try direct.applied(to: planes)
    }

    /// The input pixel under the anchor of output (oy, ox): y = oy·sy − top + ay·dy (x likewise),
    /// clamped into the image when padding puts the anchor outside it.
    static func sampled(_ plane: [Float], height h: Int, width w: Int, at size: Pair, padding: Padding, anchor: Pair,
                        stride: Pair, dilation: Pair) -> [Float] {
        if size == Pair(h, w) && padding.top == anchor.y * dilation.y && padding.left == anchor.x * dilation.x
            && stride == .one {
            return plane
        }
        var out = [Float](repeating: 0, count: size.y * size.x)
        for oy in 0..<size.y {
            let y = min(max(oy * stride.y - padding.top + anchor.y * dilation.y, 0), h - 1)
            for ox in 0..<size.x {
                let x = min(max(ox * stride.x - padding.left + anchor.x * dilation.x, 0), w - 1)
                out[oy * size.x + ox] = plane[y * w + x]
            }
        }
        return out
    }
}
