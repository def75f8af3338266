import Foundation

/// The ways a classic filter's kernel can be run. All give the direct window's numbers up to float
/// rounding; `FilterPlan.choose` picks one by cost, or the environment's `FEATMAP_ROUTE` forces one
/// (for measurements and the tests that compare the routes).
public enum FilterRoute: String, Sendable, CaseIterable {
    /// The kh × kw window (`Convolution`).
    case direct
    /// Two 1-D passes per separable term (`SeparableConvolution`), on the direct 1-D loops.
    case separable
    /// The same passes as products with banded Toeplitz matrices (`ToeplitzPasses`).
    case toeplitz
    /// Overlap-save tiles through the discrete Fourier transform (`FFTConvolution`).
    case fft

    /// `FEATMAP_ROUTE`, or nil when it is unset or empty.
    public static func fromEnvironment() throws -> FilterRoute? {
        try parse(ProcessInfo.processInfo.environment["FEATMAP_ROUTE"])
    }

    /// A value of `FEATMAP_ROUTE`: nil for unset or empty, an error for an unknown route.
    static func parse(_ value: String?) throws -> FilterRoute? {
        guard let raw = value, !raw.isEmpty else { return nil }
        guard let route = FilterRoute(rawValue: raw.lowercased()) else {
            throw EngineError.invalidParameter("FEATMAP_ROUTE is '\(raw)'; use direct, separable, toeplitz or fft, or unset it")
        }
        return route
    }
}

/// How a classic filter runs on images of one width and number of planes, decided once (per image, not
/// per band) and run on every band: the one place that chooses each kernel's route, holding what the
/// route needs: the direct window, the separable factors or terms, the Toeplitz matrices, or the FFT
/// plans and the kernel's spectrum.
///
/// By estimated multiply-adds per output row: the direct window costs kh·kw·Wo; a pair of 1-D passes
/// `SeparableConvolution.cost`; an FFT tile `FFTConvolution.bestTile`'s cost · Wo. A separable kernel
/// takes its passes (as Toeplitz products when its factors are long); a kernel that is impulse + separable
/// or a sum of a few separable terms takes those when they cost less than the direct window; any other
/// takes the FFT when that costs less than the direct window and those terms (stride 1 only).
struct FilterPlan: Sendable {
    /// One separable term: its passes and, when they run as matrix products, the matrices.
    struct Term: Sendable {
        var passes: SeparableConvolution
        var toeplitz: ToeplitzPasses?
    }

    enum Step: Sendable {
        case direct(Convolution)
        /// The sum of the terms' passes, plus a one-tap window (impulse + separable: unsharp, edge).
        case passes([Term], impulse: Convolution?)
        case fft(FFTConvolution)
    }

    let steps: [Step]
    let routes: [FilterRoute]
    /// Both derivatives of a gradient filter as one fused magnitude pass (Sobel, Scharr, Prewitt).
    let gradient: (x: SeparableConvolution, y: SeparableConvolution)?
    let channels: Int, inputWidth: Int
    /// Bands must be cut at a multiple of this many output rows to give the whole image's numbers: the
    /// FFT tiles' output rows (1 for the other routes, whose numbers do not depend on where a row sits).
    let rowMultiple: Int

    /// Multiply-adds of the direct window that one unit of `FFTConvolution.bestTile`'s cost is worth
    /// (measurements: docs/benchmark.md#fft-convolution).
    static let fftCostScale = 7.0

    /// The plan for `filter` on `channels` planes `width` wide with `options` (its padding included);
    /// `route` forces one route for every kernel and throws when a kernel cannot take it.
    static func choose(_ filter: ClassicFilter, options: FilterOptions, channels: Int, width: Int,
                       route forced: FilterRoute?) throws -> FilterPlan {
        var steps: [Step] = [], routes: [FilterRoute] = []
        for original in filter.kernels {
            let kernel = options.convolve ? original.flipped : original
            let padding = try options.padding.padding(for: kernel, dilation: options.dilation)
            let weights = Tensor(shape: [channels, 1, kernel.height, kernel.width],
                                 storage: Array([[Float]](repeating: kernel.values, count: channels).joined()))
            let direct = Convolution(weights: weights, groups: channels, stride: options.stride,
                                     dilation: options.dilation, padding: padding, border: options.border)
            let spanX = options.dilation.x * (kernel.width - 1) + 1
            let outputWidth = max(1, (width + padding.left + padding.right - spanX) / options.stride.x + 1)
            let (step, route) = try choose(kernel, direct: direct, options: options, width: width,
                                           outputWidth: outputWidth, forced: forced)
            steps.append(step); routes.append(route)
        }
        var gradient: (SeparableConvolution, SeparableConvolution)?
        if filter.combinesMagnitude, steps.count == 2,
           case .passes(let x, nil) = steps[0], case .passes(let y, nil) = steps[1], x.count == 1, y.count == 1,
           x[0].toeplitz == nil, y[0].toeplitz == nil {
            gradient = (x[0].passes, y[0].passes)
        }
        var multiple = 1
        for case .fft(let f) in steps { multiple = lcm(multiple, f.step.y) }
        return FilterPlan(steps: steps, routes: routes, gradient: gradient, channels: channels, inputWidth: width,
                          rowMultiple: multiple)
    }

    private static func lcm(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return a / x * b
    }

    /// One kernel's route.
    private static func choose(_ kernel: Kernel, direct: Convolution, options: FilterOptions, width: Int,
                               outputWidth: Int, forced: FilterRoute?) throws -> (Step, FilterRoute) {
        let size = "\(kernel.height)×\(kernel.width)"
        func term(_ column: [Float], _ row: [Float], products: Bool) -> Term {
            let passes = Self.passes(column, row, kernel: kernel, direct: direct)
            return Term(passes: passes, toeplitz: products ? ToeplitzPasses(passes, inputSize: Pair(1, width),
                                                                            outputSize: Pair(1, outputWidth)) : nil)
        }
        let pairCost = SeparableConvolution.cost(kernel: Pair(kernel.height, kernel.width), padding: direct.padding,
                                                 inputWidth: width, outputWidth: outputWidth)
        let directCost = Double(kernel.width * kernel.height * outputWidth)
        let large = kernel.width * kernel.height >= 25 || options.separable == true || forced != nil
        // The separable decompositions, cheapest first, with their cost.
        func decomposition(products: Bool, forcedSplit: Bool) -> (Step, Double)? {
            let affordable = { (terms: Int) in forcedSplit || Double(terms) * pairCost < directCost }
            if let f = kernel.separableFactors(), affordable(1) {
                return (.passes([term(f.column, f.row, products: products)], impulse: nil), pairCost)
            }
            if large, affordable(1), let split = kernel.impulsePlusSeparable() {
                var tap = [Float](repeating: 0, count: kernel.width * kernel.height)
                tap[kernel.effectiveAnchor.y * kernel.width + kernel.effectiveAnchor.x] = split.impulse
                var impulse = direct
                impulse.weights = Tensor(shape: direct.weights.shape,
                                         storage: Array([[Float]](repeating: tap, count: direct.outputChannels).joined()))
                // The direct path skips zero weights, so the one-tap window costs one multiply-add per pixel.
                return (.passes([term(split.column, split.row, products: products)], impulse: impulse),
                        pairCost + Double(outputWidth))
            }
            let maximumTerms = forcedSplit ? 4 : (1...4).last(where: { affordable($0) }) ?? 0
            if large, maximumTerms >= 2, let terms = kernel.separableTerms(maximumTerms: maximumTerms), terms.count >= 2 {
                return (.passes(terms.map { term($0.column, $0.row, products: products) }, impulse: nil),
                        Double(terms.count) * pairCost)
            }
            return nil
        }
        func fft() -> FFTConvolution? { FFTConvolution(direct, inputWidth: width) }

        switch forced {
        case .direct:
            return (.direct(direct), .direct)
        case .separable, .toeplitz:
            guard let (step, _) = decomposition(products: forced == .toeplitz, forcedSplit: true) else {
                throw EngineError.invalidParameter("FEATMAP_ROUTE=\(forced!.rawValue): the \(size) kernel \(kernel.name) is not "
                    + "separable nor a sum of up to 4 separable terms; use FEATMAP_ROUTE=direct or fft, or unset it")
            }
            if forced == .toeplitz, case .passes(let terms, _) = step, terms.contains(where: { $0.toeplitz == nil }) {
                throw EngineError.invalidParameter("FEATMAP_ROUTE=toeplitz: the \(size) kernel \(kernel.name) needs factors of at "
                    + "least \(ToeplitzPasses.minimumTaps) taps and stride 1 for matrix products; use FEATMAP_ROUTE=separable, or unset it")
            }
            return (step, forced!)
        case .fft:
            guard let f = fft() else {
                throw EngineError.invalidParameter("FEATMAP_ROUTE=fft: the \(size) kernel \(kernel.name) cannot run through the "
                    + "FFT (it needs stride 1, finite weights and an image at least as wide as the kernel); use "
                    + "FEATMAP_ROUTE=direct, or unset it")
            }
            return (.fft(f), .fft)
        case nil:
            break
        }
        guard options.separable != false else { return (.direct(direct), .direct) }
        var best: (step: Step, route: FilterRoute, cost: Double) = (.direct(direct), .direct, directCost)
        if let (step, cost) = decomposition(products: true, forcedSplit: options.separable == true) {
            guard case .passes(let terms, _) = step else { preconditionFailure() }
            best = (step, terms.contains { $0.toeplitz != nil } ? .toeplitz : .separable, cost)
        }
        // Forced splits (the tests' `options.separable`) take no FFT, nor does a kernel that is one
        // column ⊗ row: its two passes cost kh + kw per output, and long ones run as matrix products.
        if options.separable == true { return (best.step, best.route) }
        if case .passes(let terms, nil) = best.step, terms.count == 1 { return (best.step, best.route) }
        let spanY = direct.dilation.y * (kernel.height - 1) + 1, spanX = direct.dilation.x * (kernel.width - 1) + 1
        if direct.stride == .one, kernel.width * kernel.height >= 16,
           let (_, cost) = FFTConvolution.bestTile(span: Pair(spanY, spanX),
                                                   paddedWidth: width + direct.padding.left + direct.padding.right),
           cost * Double(outputWidth) < best.cost, let f = fft() {
            best = (.fft(f), .fft, cost * Double(outputWidth))
        }
        return (best.step, best.route)
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

    /// Each kernel's response to the [C, H, W] planes, or the one fused magnitude of a gradient filter.
    func responses(_ planes: Tensor) throws -> [Tensor] {
        guard let (c, _, w) = planes.planeShape, c == channels, w == inputWidth else {
            throw EngineError.shapeMismatch("the filter plan is for \(channels) planes \(inputWidth) wide, the input is \(planes.shape)")
        }
        if let (x, y) = gradient, let magnitude = try? SeparableConvolution.gradientMagnitude(x, y, of: planes) {
            return [magnitude]
        }
        return try steps.map { step in
            switch step {
            case .direct(let convolution):
                return try convolution.applied(to: planes)
            case .fft(let f):
                return try f.applied(to: planes)
            case .passes(let terms, let impulse):
                var sum = try terms[0].passes.applied(to: planes, toeplitz: terms[0].toeplitz)
                for term in terms.dropFirst() {
                    let next = try term.passes.applied(to: planes, toeplitz: term.toeplitz).storage
                    sum.storage.withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] += next[i] } }
                }
                if let impulse {
                    let single = try impulse.applied(to: planes).storage
                    sum.storage.withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] += single[i] } }
                }
                return sum
            }
        }
    }
}
