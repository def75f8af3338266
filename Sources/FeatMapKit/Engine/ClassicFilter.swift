/// A classic image filter: one kernel, or two (x and y derivatives) whose responses are combined
/// into the gradient magnitude √(gx² + gy²). Applying it is a depthwise run of the one
/// convolution core (groups = channels), by the route `FilterPlan` chooses: the direct window, 1-D passes
/// (as Toeplitz products for long factors) when the kernel splits, or FFT tiles for large kernels that do not.
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
    /// this call does not convert) and an optional alpha plane of H·W samples. `plan` is the route
    /// chosen once for planes of this width (the bands of one image); nil chooses it here.
    func applied(toPlanes planes: Tensor, alpha alphaPlane: [Float]?, bitDepth: Int,
                 options: FilterOptions, plan: FilterPlan?) throws -> FilterResponse {
        try options.validate()
        guard let (channels, height, width) = planes.planeShape else {
            throw EngineError.shapeMismatch("colour planes must be [C, H, W], got \(planes.shape)")
        }
        let maxValue: Float = bitDepth == 16 ? 65535 : 255
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
        }
        guard let geometry else {
            throw EngineError.invalidParameter("the filter \(name) has no kernel")
        }
        let plan = try plan ?? FilterPlan.choose(self, options: options, channels: channels, width: width,
                                                 route: FilterRoute.fromEnvironment())
        let responses = try plan.responses(planes)
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

    /// The same, with the route chosen here.
    public func applied(toPlanes planes: Tensor, alpha alphaPlane: [Float]?, bitDepth: Int,
                        options: FilterOptions) throws -> FilterResponse {
        try applied(toPlanes: planes, alpha: alphaPlane, bitDepth: bitDepth, options: options, plan: nil)
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
