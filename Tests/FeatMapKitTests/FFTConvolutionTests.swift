import Foundation
import Testing
@testable import FeatMapKit

/// The FFT route (`FFTConvolution`, chosen by `FilterPlan`) against the direct window on a real photo
/// (samples/chelsea.png, 451×300) and against OpenCV's filter2D (Fixtures/fft, made by
/// Tests/scripts/fft_filter_fixtures.py): every border, odd and even kernels, dilation and explicit
/// padding, within 1e-4 of the largest response; NaN and infinity go to the direct window, strides never
/// take the FFT, and bands cut at the plan's row multiple give the whole image's numbers exactly.
@Suite struct FFTConvolutionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func photo() throws -> Image {
        try ImageDecoder.decode(path: repository.appendingPathComponent("samples/chelsea.png").path)
    }

    static func kernel(_ file: String) throws -> Kernel {
        let a = try FilterFixtures.npy("../fft/" + file)
        return Kernel(name: file, width: a.shape[1], height: a.shape[0], values: a.values)
    }

    /// A kernel of uniform values in [−1, 1) from a fixed linear congruential sequence (not separable).
    static func random(_ height: Int, _ width: Int, seed: UInt64) -> Kernel {
        var state = seed
        let values = (0..<(height * width)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        return Kernel(name: "random\(height)x\(width)", width: width, height: height, values: values)
    }

    static func response(_ kernel: Kernel, _ image: Image, _ options: FilterOptions, route: FilterRoute?) throws -> (Tensor, [FilterRoute]) {
        let filter = ClassicFilter(kernel: kernel, summary: "")
        let source = options.gray ? image.grayscale : image
        let planes = source.colorPlanes
        let plan = try FilterPlan.choose(filter, options: options, channels: planes.shape[0], width: planes.shape[2], route: route)
        let r = try filter.applied(toPlanes: planes, alpha: nil, bitDepth: 8, options: options, plan: plan)
        return (r.responses, plan.routes)
    }

    static func expectClose(_ fft: Tensor, _ direct: Tensor, _ what: String) {
        #expect(fft.shape == direct.shape, "\(what): shapes \(fft.shape) and \(direct.shape)")
        let largest = direct.storage.reduce(0) { max($0, abs($1)) }
        let difference = FilterFixtures.maximumDifference(fft.storage, direct.storage)
        #expect(largest > 0 && difference <= 1e-4 * largest, "\(what): \(difference) of \(largest)")
    }

    static func layouts(_ border: BorderMode) -> [FilterOptions] {
        var base = FilterOptions()
        base.border = border
        var all = [base]
        var o = base; o.dilation = Pair(2, 3); all.append(o)
        o = base; o.padding = .explicit(Padding(top: 5, bottom: 0, left: 40, right: 3)); all.append(o)
        o = base; o.padding = .valid; all.append(o)
        o = base; o.gray = true; o.convolve = true; all.append(o)
        return all
    }

    @Test(arguments: BorderMode.allCases, [Pair(31, 31), Pair(16, 16), Pair(9, 24)])
    func matchesDirectWindowOnPhoto(border: BorderMode, size: Pair) throws {
        let image = try Self.photo()
        let kernel = Self.random(size.y, size.x, seed: UInt64(size.y * 100 + size.x))
        for options in Self.layouts(border) {
            let (fft, routes) = try Self.response(kernel, image, options, route: .fft)
            #expect(routes == [.fft])
            let (direct, _) = try Self.response(kernel, image, options, route: .direct)
            Self.expectClose(fft, direct, "\(size) \(border) dilation \(options.dilation) padding \(options.padding)")
        }
    }

    @Test(arguments: [("random31.npy", "chelsea-random31-replicate.npy", BorderMode.replicate),
                      ("random16.npy", "chelsea-random16-reflect101.npy", .reflect101)])
    func matchesOpenCV(kernelFile: String, file: String, border: BorderMode) throws {
        let image = try Self.photo()
        var options = FilterOptions()
        options.border = border
        let (response, routes) = try Self.response(Self.kernel(kernelFile), image, options, route: nil)
        // Chosen by cost, not forced: these are the kernels the FFT is for.
        #expect(routes == [.fft])
        let expected = try FilterFixtures.npy("../fft/" + file)
        let rows = ToeplitzPassesTests.picks(300), columns = ToeplitzPassesTests.picks(451)
        var picked: [Float] = []
        for c in 0..<3 { for y in rows { for x in columns { picked.append(response.storage[(c * 300 + y) * 451 + x]) } } }
        let largest = expected.values.reduce(0) { max($0, abs($1)) }
        let difference = FilterFixtures.maximumDifference(picked, expected.values)
        #expect(difference <= 1e-4 * largest, "\(file): \(difference) of \(largest)")
    }

    /// A NaN or infinity in the input goes to the direct window (the transform would spread it over a
    /// whole tile): the same numbers, NaN where the direct window has NaN and nowhere else.
    @Test func nonFiniteInputTakesDirectWindow() throws {
        var image = try Self.photo()
        image.samples[(100 * image.width + 200) * 3] = .nan
        image.samples[(10 * image.width + 20) * 3 + 1] = .infinity
        let kernel = Self.random(31, 31, seed: 7)
        let (fft, routes) = try Self.response(kernel, image, FilterOptions(), route: nil)
        #expect(routes == [.fft])
        let (direct, _) = try Self.response(kernel, image, FilterOptions(), route: .direct)
        #expect(fft.storage.map(\.isNaN) == direct.storage.map(\.isNaN))
        #expect(fft.storage.contains { $0.isNaN })
        #expect(zip(fft.storage, direct.storage).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    @Test func nonFiniteKernelAndStridesNeverTakeFFT() throws {
        let image = try Self.photo()
        var kernel = Self.random(31, 31, seed: 9)
        var options = FilterOptions()
        options.stride = Pair(2, 1)
        #expect(try Self.response(kernel, image, options, route: nil).1 == [.direct])
        #expect(throws: EngineError.self) { try Self.response(kernel, image, options, route: .fft) }
        kernel.values[17] = .nan
        #expect(try Self.response(kernel, image, FilterOptions(), route: nil).1 == [.direct])
        #expect(throws: EngineError.self) { try Self.response(kernel, image, FilterOptions(), route: .fft) }
    }

    /// The one place that decides: small kernels direct, separable ones their passes (Toeplitz products
    /// for long factors), large non-separable ones the FFT; an impossible forced route is an error.
    @Test func planChoosesByCost() throws {
        let image = try Self.photo()
        func routes(_ spec: String, _ forced: FilterRoute? = nil) throws -> [FilterRoute] {
            let filter = try KernelLibrary.resolve(spec)
            return try FilterPlan.choose(filter, options: FilterOptions(), channels: 3, width: image.width, route: forced).routes
        }
        #expect(try routes("3x3: 1 2 0 -1 5 3 0 -2 1") == [.direct])
        #expect(try routes("gaussian:2") == [.separable])
        #expect(try routes("gaussian:10") == [.toeplitz])
        #expect(try routes("sobel") == [.separable, .separable])
        let big = ClassicFilter(kernel: Self.random(31, 31, seed: 3), summary: "")
        #expect(try FilterPlan.choose(big, options: FilterOptions(), channels: 3, width: 451, route: nil).routes == [.fft])
        // 9 × 9 (81 multiply-adds an output) is faster direct (docs/benchmark.md#fft-convolution).
        let small = ClassicFilter(kernel: Self.random(9, 9, seed: 3), summary: "")
        #expect(try FilterPlan.choose(small, options: FilterOptions(), channels: 3, width: 451, route: nil).routes == [.direct])
        #expect(try routes("gaussian:10", .fft) == [.fft])
        #expect(try routes("gaussian:10", .separable) == [.separable])
        #expect(throws: EngineError.self) { try routes("sobel", .toeplitz) }
        #expect(throws: EngineError.self) {
            try FilterPlan.choose(big, options: FilterOptions(), channels: 3, width: 451, route: .separable)
        }
    }

    /// Bands cut at a multiple of the plan's row multiple (the FFT tile's output rows) give exactly the
    /// whole image's numbers, for every border.
    @Test(arguments: BorderMode.allCases)
    func bandsMatchWholeImage(border: BorderMode) throws {
        let kernel = Self.random(21, 21, seed: 21)
        let filter = ClassicFilter(kernel: kernel, summary: "")
        var options = FilterOptions()
        options.border = border
        let bytes = try Data(contentsOf: Self.repository.appendingPathComponent("samples/chelsea.png"))
        let whole = try filter.applied(to: ImageDecoder.decode([UInt8](bytes), source: "chelsea.png"), options: options)
        for multiple in [1, 2] {
            let reader = try ImageReader(bytes: [UInt8](bytes), source: "chelsea.png")
            var banded = BandedFilter(filter: filter, options: options)
            let plan = try #require(banded.plan(height: reader.header.height, width: reader.header.width))
            let routes = try banded.filterPlan(plan, channels: reader.header.channels, route: nil)
            #expect(routes.routes == [.fft])
            #expect(routes.rowMultiple > 1)
            banded.bandRows = routes.rowMultiple * multiple
            var planes = [[Float]](repeating: [], count: 3)
            try banded.run(reader, plan: plan, filterPlan: routes) { response in
                let r = response.responses, n = r.shape[1] * r.shape[2]
                for c in 0..<3 { planes[c] += r.storage[(c * n)..<((c + 1) * n)] }
            }
            #expect(Array(planes.joined()) == whole.responses.storage, "\(border) bands of \(banded.bandRows)")
        }
    }

    /// FEATMAP_ROUTE's values (the CLI tests run featmap with it set).
    @Test func environmentRouteValues() throws {
        #expect(throws: EngineError.self) { try FilterRoute.parse("fast") }
        #expect(try FilterRoute.parse("fft") == .fft)
        #expect(try FilterRoute.parse("Toeplitz") == .toeplitz)
        #expect(try FilterRoute.parse("") == nil)
        #expect(try FilterRoute.parse(nil) == nil)
    }
}
