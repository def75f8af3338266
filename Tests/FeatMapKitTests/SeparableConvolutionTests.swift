import Testing
@testable import FeatMapKit

/// The two-pass path must give the direct path's numbers (1e-5 of the largest response) for every
/// separable built-in, border, stride, dilation and padding, on the real RGB crop.
@Suite struct SeparableConvolutionTests {
    static func compare(_ spec: String, _ options: FilterOptions, image: Image) throws {
        let filter = try KernelLibrary.resolve(spec)
        var direct = options, separable = options
        direct.separable = false
        separable.separable = true
        let a = try filter.applied(to: image, options: direct).responses
        let b = try filter.applied(to: image, options: separable).responses
        #expect(a.shape == b.shape)
        let largest = a.storage.reduce(0) { max($0, abs($1)) }
        let difference = FilterFixtures.maximumDifference(a.storage, b.storage)
        #expect(difference <= 1e-5 * largest, "\(spec): \(difference) of \(largest)")
    }

    /// unsharp (1 + a)·δ − a·G and edge (9·δ − ones) run as impulse + separable when forced or large.
    @Test(arguments: ["unsharp:1.5:3", "unsharp:0.5:1", "edge", "sharpen", "emboss", "laplacian", "log:1"])
    func impulsePlusSeparableAgrees(spec: String) throws {
        let image = try FilterFixtures.image("chelsea.npy")
        try Self.compare(spec, FilterOptions(), image: image)
        var o = FilterOptions()
        o.stride = Pair(2, 1)
        o.dilation = Pair(1, 2)
        o.border = .reflect
        o.convolve = true
        try Self.compare(spec, o, image: image)
    }

    // unsharp:2:σ = 3δ − 2G: impulse 3, rank-1 part −2·g ⊗ g; sharpen has no pivot off the anchor cross
    // that explains its zero corners and −1 edges, laplacian neither; log is rank 2 off the centre.
    @Test func impulseSplitByHand() throws {
        let k = Kernel.unsharp(amount: 2, sigma: 1)
        let split = try #require(k.impulsePlusSeparable())
        #expect(abs(split.impulse - 3) < 1e-5)
        let g = Kernel.gaussian1D(sigma: 1, size: 7)
        for y in 0..<7 { for x in 0..<7 { #expect(abs(split.column[y] * split.row[x] + 2 * g[y] * g[x]) < 1e-6) } }
        #expect(abs(try #require(Kernel.edge.impulsePlusSeparable()).impulse - 9) < 1e-6)
        #expect(Kernel.sharpen.impulsePlusSeparable() == nil)
        #expect(Kernel.laplacianOfGaussian(sigma: 1).impulsePlusSeparable() == nil)
        #expect(Kernel.emboss.impulsePlusSeparable() == nil)
    }

    // Complete-pivot cross approximation: exact rank in as many steps. g″ ⊗ g + g ⊗ g″ − mean is rank 3;
    // the 3×3 identity matrix is rank 3 and cannot be written with 2 terms; [1 2; 3 6] is rank 1.
    @Test func lowRankTermsByHand() throws {
        let log = Kernel.laplacianOfGaussian(sigma: 2)
        let terms = try #require(log.separableTerms(maximumTerms: 4))
        #expect(terms.count == 3)
        var rebuilt = [Float](repeating: 0, count: log.values.count)
        for t in terms { for y in 0..<log.height { for x in 0..<log.width { rebuilt[y * log.width + x] += t.column[y] * t.row[x] } } }
        let largest = log.values.map { abs($0) }.max()!
        #expect(FilterFixtures.maximumDifference(rebuilt, log.values) <= 1e-5 * largest)
        let eye = Kernel(name: "eye", width: 3, height: 3, values: [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(eye.separableTerms(maximumTerms: 2) == nil)
        #expect(eye.separableTerms(maximumTerms: 3)?.count == 3)
        let one = try #require(Kernel(name: "r1", width: 2, height: 2, values: [1, 2, 3, 6]).separableTerms(maximumTerms: 1))
        #expect(one.count == 1 && one[0].column == [2, 6] && one[0].row == [0.5, 1])
    }

    /// log:6 (37×37, rank 3) on the camera crop, the three-pass-pair route against the direct window.
    @Test func largeLaplacianOfGaussianAgrees() throws {
        try Self.compare("log:6", FilterOptions(), image: try FilterFixtures.image("camera.npy"))
    }

    @Test(arguments: ["box:5", "box:4", "gaussian:1.5", "gaussian:2:7", "sobel-x", "sobel-y", "sobel", "scharr",
                      "prewitt-y", "vertical-line", "identity"])
    func builtinsAgree(spec: String) throws {
        try Self.compare(spec, FilterOptions(), image: try FilterFixtures.image("chelsea.npy"))
    }

    /// The fused gradient magnitude gives exactly (==) each derivative's two passes followed by
    /// √(x² + y²), for every border, with strides, dilation and uneven padding, on a real photo crop.
    @Test(arguments: BorderMode.allCases)
    func fusedMagnitudeEqualsTwoPasses(border: BorderMode) throws {
        let planes = try FilterFixtures.image("camera.npy").colorPlanes
        for spec in ["sobel", "scharr", "prewitt"] {
            let filter = try KernelLibrary.resolve(spec)
            for (stride, dilation, padding) in [(Pair.one, Pair.one, Padding(top: 1, bottom: 1, left: 1, right: 1)),
                                                (Pair(2, 3), Pair(2, 1), Padding(top: 0, bottom: 3, left: 5, right: 1))] {
                let passes = filter.kernels.map { k -> SeparableConvolution in
                    let f = k.separableFactors()!
                    let c = planes.shape[0]
                    return SeparableConvolution(columns: Tensor(shape: [c, k.height], storage: Array([[Float]](repeating: f.column, count: c).joined())),
                                                rows: Tensor(shape: [c, k.width], storage: Array([[Float]](repeating: f.row, count: c).joined())),
                                                stride: stride, dilation: dilation, padding: padding, border: border)
                }
                let fused = try SeparableConvolution.gradientMagnitude(passes[0], passes[1], of: planes)
                let x = try passes[0].applied(to: planes).storage, y = try passes[1].applied(to: planes).storage
                let expected = zip(x, y).map { ($0 * $0 + $1 * $1).squareRoot() }
                #expect(fused.storage == expected, "\(spec) \(border) stride \(stride)")
                #expect(fused.storage.contains { $0 > 10 }, "\(spec): the crop has edges")
            }
        }
    }

    @Test(arguments: BorderMode.allCases)
    func bordersStridesAndDilationsAgree(border: BorderMode) throws {
        let image = try FilterFixtures.image("camera.npy")
        var o = FilterOptions()
        o.border = border
        try Self.compare("gaussian:1.2", o, image: image)
        o.stride = Pair(2, 3)
        o.dilation = Pair(2, 1)
        try Self.compare("gaussian:1.2", o, image: image)
        o.padding = .explicit(Padding(top: 0, bottom: 3, left: 5, right: 1))
        try Self.compare("sobel-y", o, image: image)
        o.padding = .valid
        o.convolve = true
        try Self.compare("2x3: 1 2 3 2 4 6", o, image: image)
    }

    /// σ = 10: 61 taps, on a 150×200 RGB image made of tiled crops; also the fixture reference.
    @Test func gaussianSigma10() throws {
        let crop = try FilterFixtures.image("chelsea.npy")
        var samples: [Float] = []
        for y in 0..<150 { for x in 0..<200 {
            let p = ((y % crop.height) * crop.width + (x * 7 + y) % crop.width) * 3
            samples += crop.samples[p..<(p + 3)]
        } }
        let image = Image(width: 200, height: 150, channels: 3, bitDepth: 8, samples: samples)
        try Self.compare("gaussian:10", FilterOptions(), image: image)
    }

    @Test func automaticChoice() throws {
        let image = Image(width: 300, height: 20, channels: 1, bitDepth: 8, repeating: 1)
        let sep = try #require(Convolution(weights: Tensor(shape: [1, 1, 61, 61], storage: Kernel.gaussian(sigma: 10).values),
                                           groups: 1, padding: Padding(all: 30)).separated())
        #expect(sep.isCheaper(inputWidth: image.width, outputWidth: image.width))
        // 3×3 on 300 columns: 1.25·(3·302 + 3·300) = 2257.5 < 9·300 multiply-adds per row.
        let small = try #require(Convolution(weights: Tensor(shape: [1, 1, 3, 3], storage: Kernel.sobelX.values),
                                             padding: Padding(all: 1)).separated())
        #expect(small.isCheaper(inputWidth: 300, outputWidth: 300))
        // 1×3: 1.25·(1·300 + 3·300) = 1500 > 3·300, a single pass is already 1-D.
        let row = try #require(Convolution(weights: Tensor(shape: [1, 1, 1, 3], storage: [-1, 0, 1])).separated())
        #expect(!row.isCheaper(inputWidth: 300, outputWidth: 298))
        #expect(Convolution(weights: Tensor(shape: [1, 1, 3, 3], storage: Kernel.sharpen.values)).separated() == nil)
        // Not depthwise: 2 input channels into 1 filter.
        #expect(Convolution(weights: Tensor(shape: [1, 2, 1, 1], storage: [1, 1])).separated() == nil)
    }

    /// [1 2] ⊗ [1 −1] on a 2×3 plane of 1…6, valid: out = Σ col[ky]·row[kx]·x, by hand:
    /// (1 − 2) + 2(4 − 5) = −3 and (2 − 3) + 2(5 − 6) = −3.
    @Test func handWorkedTwoPass() throws {
        let sep = SeparableConvolution(columns: Tensor(shape: [1, 2], storage: [1, 2]),
                                       rows: Tensor(shape: [1, 2], storage: [1, -1]), bias: [0.5])
        let out = try sep.applied(to: Tensor(shape: [1, 2, 3], storage: [1, 2, 3, 4, 5, 6]))
        #expect(out.shape == [1, 1, 2])
        #expect(out.storage == [-2.5, -2.5])
    }
}
