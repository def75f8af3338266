import Testing
@testable import FeatMapKit

/// Hand-worked cases for the one convolution core.
@Suite struct ConvolutionCoreTests {
    static let image: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7]
    static let sobelX: [Float] = [1, 0, -1, 2, 0, -2, 1, 0, -1]

    // Top-left window: 1·1 − 3·1 + 2·5 − 2·7 + 9 − 2 = 1; the others likewise by hand.
    @Test func correlationValidMatchesHandCalculation() throws {
        let conv = Convolution(weights: Tensor(shape: [1, 1, 3, 3], storage: Self.sobelX))
        let out = try conv.applied(to: Tensor(shape: [1, 4, 4], storage: Self.image))
        #expect(out.shape == [1, 2, 2])
        #expect(out.storage == [1, -8, 10, -8])
    }

    @Test func trueConvolutionFlipsTheKernel() throws {
        let conv = Convolution(weights: Tensor(shape: [1, 1, 3, 3], storage: Self.sobelX)).flipped
        let out = try conv.applied(to: Tensor(shape: [1, 4, 4], storage: Self.image))
        #expect(out.storage == [-1, 8, -10, 8])
    }

    // The same numbers through the im2col + SGEMM path: two input channels, the second zero.
    @Test func gemmPathAgreesWithDirectPath() throws {
        var w = Self.sobelX + [Float](repeating: 0, count: 9)
        w += [Float](repeating: 0, count: 9) + Self.sobelX
        let conv = Convolution(weights: Tensor(shape: [2, 2, 3, 3], storage: w), bias: [0.5, -1])
        let input = Tensor(shape: [2, 4, 4], storage: Self.image + Self.image.map { $0 * 2 })
        let out = try conv.applied(to: input)
        #expect(out.storage == [1.5, -7.5, 10.5, -7.5, 1, -17, 19, -17])
    }

    // ⌊(n + p_total − d(k−1) − 1)/s⌋ + 1 = ⌊(7 + 2 − 2·2 − 1)/2⌋ + 1 = 3
    @Test func outputSizeFormula() throws {
        let size = try Convolution.outputSize(input: Pair(7, 7), kernel: Pair(3, 3), stride: Pair(2, 2),
                                              dilation: Pair(2, 2), padding: Padding(all: 1))
        #expect(size == Pair(3, 3))
        #expect(throws: EngineError.self) {
            try Convolution.outputSize(input: Pair(2, 2), kernel: Pair(3, 3), stride: .one, dilation: .one, padding: .none)
        }
    }

    // OpenCV's borderInterpolate on a row of 5 cells (abcde) at −2, −1, 5, 6.
    @Test(arguments: [
        (BorderMode.replicate, [0, 0, 4, 4]),
        (.reflect, [1, 0, 4, 3]),
        (.reflect101, [2, 1, 3, 2]),
        (.wrap, [3, 4, 0, 1]),
    ])
    func borderModes(mode: BorderMode, expected: [Int]) {
        #expect([-2, -1, 5, 6].map { mode.sourceIndex($0, count: 5)! } == expected)
        #expect(BorderMode.zero.sourceIndex(-1, count: 5) == nil)
    }
}
