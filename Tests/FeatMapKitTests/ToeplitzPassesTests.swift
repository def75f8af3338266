import Foundation
import Testing
@testable import FeatMapKit

/// Long separable filters (19 taps and more) run as matrix products with banded Toeplitz matrices.
/// They must give OpenCV's and SciPy's numbers on a whole photo (Fixtures/large, made by
/// Tests/scripts/large_filter_fixtures.py), the direct passes' numbers on every geometry the products
/// take (sizes around the 32-row groups and 32-column blocks, dilation, bias, channels with their own
/// factors), and leave inputs with NaN or infinity to the direct passes.
@Suite struct ToeplitzPassesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Rows and columns 0, 7, 14, … and the last one: what the fixture script keeps.
    static func picks(_ n: Int) -> [Int] {
        let p = Array(stride(from: 0, to: n, by: 7))
        return p.last == n - 1 ? p : p + [n - 1]
    }

    @Test(arguments: [("chelsea-gaussian10-replicate.npy", "gaussian:10", BorderMode.replicate, 1),
                      ("chelsea-gaussian5-reflect101.npy", "gaussian:5", .reflect101, 1),
                      ("chelsea-gaussian3-dilation2-zero.npy", "gaussian:3", .zero, 2)])
    func wholePhotoMatchesReference(file: String, spec: String, border: BorderMode, dilation: Int) throws {
        let image = try ImageDecoder.decode(path: Self.repository.appendingPathComponent("samples/chelsea.png").path)
        var options = FilterOptions()
        options.border = border
        options.dilation = Pair(both: dilation)
        let response = try KernelLibrary.resolve(spec).applied(to: image, options: options).responses
        #expect(response.shape == [3, 300, 451])
        let expected = try FilterFixtures.npy("../large/" + file)
        let rows = Self.picks(300), columns = Self.picks(451)
        #expect(expected.shape == [3, rows.count, columns.count])
        var picked: [Float] = []
        for c in 0..<3 { for y in rows { for x in columns { picked.append(response.storage[(c * 300 + y) * 451 + x]) } } }
        let difference = FilterFixtures.maximumDifference(picked, expected.values)
        // Responses reach 255; float32 sums of 61 × 61 products agree with OpenCV to a few 1e-5.
        #expect(difference <= 1e-3, "\(spec): max difference \(difference)")
    }

    /// Factors of one channel each, asymmetric on purpose: tap t of channel ch.
    static func factors(_ taps: Int, channels: Int, seed: Float) -> Tensor {
        var v: [Float] = []
        for ch in 0..<channels { for t in 0..<taps { v.append(sin(seed * Float(t + 1) + Float(ch)) + 0.3) } }
        return Tensor(shape: [channels, taps], storage: v)
    }

    struct Geometry: Sendable, CustomStringConvertible {
        var height: Int, width: Int, kernel: Pair, dilation: Pair, padding: Padding, bias: Bool
        var description: String { "\(height)×\(width) k\(kernel.y)×\(kernel.x) d\(dilation.y),\(dilation.x) bias \(bias)" }
    }

    static let geometries: [Geometry] = [
        Geometry(height: 70, width: 100, kernel: Pair(19, 19), dilation: .one, padding: Padding(all: 9), bias: false),
        Geometry(height: 32, width: 32, kernel: Pair(19, 25), dilation: .one, padding: Padding(all: 0), bias: true),
        Geometry(height: 33, width: 65, kernel: Pair(21, 40), dilation: .one, padding: Padding(top: 3, bottom: 20, left: 39, right: 0), bias: false),
        Geometry(height: 1, width: 1, kernel: Pair(19, 19), dilation: .one, padding: Padding(all: 9), bias: true),
        Geometry(height: 31, width: 200, kernel: Pair(19, 61), dilation: Pair(2, 3), padding: Padding(all: 90), bias: false),
        Geometry(height: 96, width: 33, kernel: Pair(61, 19), dilation: .one, padding: Padding(top: 30, bottom: 30, left: 0, right: 0), bias: true),
    ]

    @Test(arguments: geometries)
    func productsMatchDirectPasses(_ g: Geometry) throws {
        let crop = try FilterFixtures.image("chelsea.npy")
        var planes: [Float] = []
        for c in 0..<3 { for y in 0..<g.height { for x in 0..<g.width {
            planes.append(crop.samples[((y % crop.height) * crop.width + (x * 5 + y) % crop.width) * 3 + c])
        } } }
        let input = Tensor(shape: [3, g.height, g.width], storage: planes)
        let filter = SeparableConvolution(columns: Self.factors(g.kernel.y, channels: 3, seed: 0.7),
                                          rows: Self.factors(g.kernel.x, channels: 3, seed: 1.3),
                                          bias: g.bias ? [0.5, -2, 7] : nil, dilation: g.dilation, padding: g.padding)
        let out = try Convolution.outputSize(input: Pair(g.height, g.width), kernel: g.kernel, stride: .one,
                                             dilation: g.dilation, padding: g.padding)
        let runsAsProducts = ToeplitzPasses(filter, inputSize: Pair(g.height, g.width), outputSize: out) != nil
        #expect(runsAsProducts)
        let products = try filter.applied(to: input, products: true)
        let direct = try filter.applied(to: input, products: false)
        #expect(products.shape == direct.shape)
        let largest = direct.storage.reduce(0) { max($0, abs($1)) }
        let difference = FilterFixtures.maximumDifference(products.storage, direct.storage)
        #expect(difference <= 1e-5 * largest, "\(g): \(difference) of \(largest)")
    }

    /// The matrices for 19 taps on a 100-column padded row (82 outputs): Tᵥ is 32 × (31 + 19) = 32 × 50
    /// with column[t] at [r][r + t]; the horizontal reach is 32 + 18 = 50 columns, two slices of 32 rows;
    /// 100 used columns make ⌈100 / 32⌉ = 4 blocks, rows of 128.
    @Test func matricesByHand() throws {
        let column = (1...19).map(Float.init), row = (1...19).map { Float($0) * 10 }
        let f = SeparableConvolution(columns: Tensor(shape: [1, 19], storage: column), rows: Tensor(shape: [1, 19], storage: row))
        let p = try #require(ToeplitzPasses(f, inputSize: Pair(40, 100), outputSize: Pair(22, 82)))
        #expect(p.verticalDepth == 50 && p.slices == 2 && p.blocks == 4 && p.lineLength == 128)
        #expect(p.vertical.count == 32 * 50 && p.horizontal.count == 2 * 32 * 32)
        for r in 0..<32 { for i in 0..<50 {
            let t = i - r
            #expect(p.vertical[r * 50 + i] == ((0..<19).contains(t) ? column[t] : 0))
        } }
        for i in 0..<64 { for j in 0..<32 {
            let t = i - j
            #expect(p.horizontal[i * 32 + j] == ((0..<19).contains(t) ? row[t] : 0))
        } }
        // Shorter factors and strides stay on the direct passes.
        let short = SeparableConvolution(columns: Tensor(shape: [1, 13], storage: Array(column[0..<13])),
                                         rows: Tensor(shape: [1, 19], storage: row))
        let shortDirect = ToeplitzPasses(short, inputSize: Pair(40, 100), outputSize: Pair(28, 82)) == nil
        #expect(shortDirect)
        var strided = f
        strided.stride = Pair(2, 1)
        let stridedDirect = ToeplitzPasses(strided, inputSize: Pair(40, 100), outputSize: Pair(11, 82)) == nil
        #expect(stridedDirect)
    }

    /// One NaN at (20, 25) under a 19 × 19 window with zero padding 9: the direct passes make exactly
    /// the outputs within 9 rows and 9 columns of it NaN (every weight of a Gaussian is non-zero); a
    /// product would have spread it over its whole group of rows and block of columns.
    @Test func nonFiniteInputTakesTheDirectPasses() throws {
        let g = Kernel.gaussian1D(sigma: 3, size: 19)
        let f = SeparableConvolution(columns: Tensor(shape: [1, 19], storage: g), rows: Tensor(shape: [1, 19], storage: g),
                                     padding: Padding(all: 9))
        var values = [Float](repeating: 1, count: 40 * 50)
        values[20 * 50 + 25] = .nan
        let out = try f.applied(to: Tensor(shape: [1, 40, 50], storage: values))
        for y in 0..<40 { for x in 0..<50 {
            let near = abs(y - 20) <= 9 && abs(x - 25) <= 9
            #expect(out.storage[y * 50 + x].isNaN == near, "(\(y), \(x))")
        } }
        let finite = [Float](repeating: 3, count: 37)
        #expect(finite.withUnsafeBufferPointer(ToeplitzPasses.isFinite))
        for bad in [Float.infinity, -.infinity, .nan] {
            for at in [0, 15, 16, 36] {
                var v = finite
                v[at] = bad
                #expect(!v.withUnsafeBufferPointer(ToeplitzPasses.isFinite), "\(bad) at \(at)")
            }
        }
    }
}
