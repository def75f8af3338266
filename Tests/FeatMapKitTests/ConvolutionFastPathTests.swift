import Testing
@testable import FeatMapKit

/// The im2col + SGEMM path splits the output into bands shared by the workers, and 1×1 convolutions
/// into column slices: the result must be the plain definition
///   out[o, y, x] = b[o] + Σ_{c, ky, kx} w[o, c, ky, kx] · in_padded[g·C/G + c, y·sy + ky·dy, x·sx + kx·dx]
/// summed here in Double by a straightforward loop, for shapes with many bands (tall outputs),
/// strides, dilation, padding, groups, the 1×1 case and the depthwise direct path. Tolerance: float32 sums of up to 288 terms.
@Suite struct ConvolutionFastPathTests {
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        // A small linear congruential generator: reproducible, no dependency.
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        }
    }

    static func plain(_ conv: Convolution, _ input: Tensor) throws -> [Float] {
        let (c, h, w) = (input.shape[0], input.shape[1], input.shape[2])
        let out = try conv.outputSize(height: h, width: w)
        let padded = input.padded(by: conv.padding, border: conv.border)
        let ph = h + conv.padding.top + conv.padding.bottom, pw = w + conv.padding.left + conv.padding.right
        let (o, cinG, kh, kw) = (conv.weights.shape[0], conv.weights.shape[1], conv.weights.shape[2], conv.weights.shape[3])
        let coutG = o / conv.groups
        var result = [Float](repeating: 0, count: o * out.y * out.x)
        for oc in 0..<o {
            let g = oc / coutG
            for y in 0..<out.y { for x in 0..<out.x {
                var sum = Double(conv.bias?[oc] ?? 0)
                for ci in 0..<cinG { for ky in 0..<kh { for kx in 0..<kw {
                    let yy = y * conv.stride.y + ky * conv.dilation.y, xx = x * conv.stride.x + kx * conv.dilation.x
                    let v = padded.storage[((g * cinG + ci) * ph + yy) * pw + xx]
                    sum += Double(conv.weights.storage[((oc * cinG + ci) * kh + ky) * kw + kx]) * Double(v)
                } } }
                result[(oc * out.y + y) * out.x + x] = Float(sum)
            } }
        }
        _ = c
        return result
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var input: [Int], weights: [Int], groups = 1, stride = Pair.one, dilation = Pair.one, padding = Padding.none
        var testDescription: String { "in \(input) w \(weights) g\(groups) s\(stride) d\(dilation)" }
    }

    static let cases = [
        Case(input: [3, 301, 97], weights: [16, 3, 3, 3], stride: Pair(both: 2)),          // SqueezeNet conv1, many bands
        Case(input: [16, 150, 61], weights: [24, 16, 3, 3], padding: Padding(all: 1)),     // expand3x3
        Case(input: [32, 70, 90], weights: [8, 32, 1, 1]),                                 // 1×1: column slices
        Case(input: [4, 80, 50], weights: [6, 2, 5, 3], groups: 2, stride: Pair(1, 2), dilation: Pair(2, 1),
             padding: Padding(top: 2, bottom: 1, left: 0, right: 3)),
        // Depthwise (the classic filters' path): rows split over the workers, kernel rows four at a time.
        Case(input: [3, 20, 141], weights: [3, 1, 9, 7], groups: 3, dilation: Pair(2, 3),
             padding: Padding(top: 8, bottom: 8, left: 9, right: 9)),
        Case(input: [2, 12, 100], weights: [2, 1, 1, 61], groups: 2, padding: Padding(top: 0, bottom: 0, left: 30, right: 30)),
        // Small maps: the workers take shares of the filters (1×1 on 14×14, 3×3 on 7×7 in one band).
        Case(input: [96, 14, 14], weights: [80, 96, 1, 1]),
        Case(input: [40, 7, 7], weights: [72, 40, 3, 3], padding: Padding(all: 1)),
        // Zero padding read by the im2col gather itself: stride 2 with odd padding, a pad wider than
        // the stride, a 7×7 stem and a row of taps that falls wholly in the padding.
        Case(input: [3, 33, 29], weights: [16, 3, 7, 7], stride: Pair(both: 2), padding: Padding(all: 3)),
        Case(input: [8, 9, 11], weights: [32, 8, 3, 3], stride: Pair(both: 2), padding: Padding(top: 0, bottom: 1, left: 1, right: 0)),
        Case(input: [4, 5, 4], weights: [32, 4, 3, 5], stride: Pair(1, 3), dilation: Pair(2, 1),
             padding: Padding(top: 4, bottom: 4, left: 5, right: 5)),
    ]

    @Test(arguments: cases)
    func blasBandsMatchThePlainSum(c: Case) throws {
        let input = Tensor(shape: c.input, storage: Self.values(c.input.reduce(1, *), seed: 1))
        let weights = Tensor(shape: c.weights, storage: Self.values(c.weights.reduce(1, *), seed: 2))
        let conv = Convolution(weights: weights, bias: Self.values(c.weights[0], seed: 3), groups: c.groups,
                               stride: c.stride, dilation: c.dilation, padding: c.padding)
        let fast = try conv.applied(to: input)
        let expected = try Self.plain(conv, input)
        #expect(fast.count == expected.count)
        let terms = Float(c.weights[1] * c.weights[2] * c.weights[3])
        var worst: Float = 0
        for (a, b) in zip(fast.storage, expected) { worst = max(worst, abs(a - b)) }
        #expect(worst <= 4e-7 * terms, "largest difference \(worst)")
        // With an addend (a residual block's shortcut), each output is the plain sum plus the addend.
        let addend = Tensor(shape: fast.shape, storage: Self.values(fast.count, seed: 4))
        let summed = try conv.applied(to: input, adding: addend, activation: .relu)
        var worstSum: Float = 0
        for i in expected.indices { worstSum = max(worstSum, abs(summed.storage[i] - max(0, expected[i] + addend.storage[i]))) }
        #expect(worstSum <= 4e-7 * (terms + 1), "largest difference with the addend \(worstSum)")
    }
}
