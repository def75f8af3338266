import Testing
@testable import FeatMapKit

/// The channels-last inference path: oneDNN's convolution primitives on [N, H, W, C] tensors, the
/// operators between them in that layout, and the layout changes.
@Suite struct ChannelsLastTests {
    typealias Case = ConvolutionFastPathTests.Case

    static func values(_ count: Int, seed: UInt64) -> [Float] { ConvolutionFastPathTests.values(count, seed: seed) }

    @Test func layoutChangesPlaceEachValueAndUndoEachOther() {
        let (n, c, h, w) = (2, 19, 7, 23)
        let x = Tensor(shape: [n, c, h, w], storage: Self.values(n * c * h * w, seed: 9))
        let last = ChannelsLast.from(x)
        #expect(last.shape == [n, h, w, c])
        var misplaced = 0
        for b in 0..<n { for ch in 0..<c { for y in 0..<h { for xx in 0..<w {
            if last.storage[((b * h + y) * w + xx) * c + ch] != x.storage[((b * c + ch) * h + y) * w + xx] { misplaced += 1 }
        } } } }
        #expect(misplaced == 0)
        #expect(ChannelsLast.back(last) == x)
    }

    /// Each case of the im2col path's test, on the primitive: the plain definition summed in Double, within
    /// the same float32 tolerance; then with a residual sum and ReLU as post-ops; and two images at once
    /// give each image's bits alone.
    @Test(arguments: ConvolutionFastPathTests.cases)
    func primitiveMatchesThePlainSum(c: Case) throws {
        let input = Tensor(shape: c.input, storage: Self.values(c.input.reduce(1, *), seed: 1))
        let weights = Tensor(shape: c.weights, storage: Self.values(c.weights.reduce(1, *), seed: 2))
        let conv = Convolution(weights: weights, bias: Self.values(c.weights[0], seed: 3), groups: c.groups,
                               stride: c.stride, dilation: c.dilation, padding: c.padding)
        let expected = try ConvolutionFastPathTests.plain(conv, input)
        let size = Pair(c.input[1], c.input[2])
        let primitive = try #require(ChannelsLastConvolution(conv, channels: c.input[0], size: size, activation: nil, sum: false))
        let out = primitive.outputSize
        #expect(out == (try conv.outputSize(height: size.y, width: size.x)))
        func run(_ p: ChannelsLastConvolution, _ images: Tensor, into start: [Float]) throws -> Tensor {
            let last = ChannelsLast.from(images)
            var dst = start
            try last.storage.withUnsafeBufferPointer { src in
                try dst.withUnsafeMutableBufferPointer { try p.run(images: images.shape[0], source: src.baseAddress!, destination: $0.baseAddress!) }
            }
            return ChannelsLast.back(Tensor(shape: [images.shape[0], out.y, out.x, p.outputChannels], storage: dst))
        }
        let one = input.reshaped([1] + c.input)
        let result = try run(primitive, one, into: [Float](repeating: .nan, count: expected.count))
        let terms = Float(c.weights[1] * c.weights[2] * c.weights[3])
        var worst: Float = 0
        for (a, b) in zip(result.storage, expected) { worst = max(worst, abs(a - b)) }
        #expect(worst <= 4e-7 * terms, "largest difference \(worst) (\(primitive.kernelName))")

        let summing = try #require(ChannelsLastConvolution(conv, channels: c.input[0], size: size, activation: .relu, sum: true))
        let addend = Tensor(shape: [1, c.weights[0], out.y, out.x], storage: Self.values(expected.count, seed: 4))
        let summed = try run(summing, one, into: ChannelsLast.from(addend).storage)
        var worstSum: Float = 0
        for i in expected.indices { worstSum = max(worstSum, abs(summed.storage[i] - max(0, expected[i] + addend.storage[i]))) }
        #expect(worstSum <= 4e-7 * (terms + 1), "largest difference with the sum \(worstSum)")

        let second = Self.values(c.input.reduce(1, *), seed: 5)
        let two = Tensor(shape: [2] + c.input, storage: input.storage + second)
        let both = try run(primitive, two, into: [Float](repeating: 0, count: 2 * expected.count))
        let alone = try run(primitive, Tensor(shape: [1] + c.input, storage: second), into: [Float](repeating: 0, count: expected.count))
        #expect(Array(both.storage[0..<expected.count]) == result.storage)
        #expect(Array(both.storage[expected.count...]) == alone.storage)
    }

    /// A stride beyond 32 bits (legal in a model file) is no primitive: the plain path takes it.
    @Test func sizesBeyondThirtyTwoBitsStayOnThePlainPath() throws {
        let weights = Tensor(shape: [4, 3, 3, 3], storage: Self.values(108, seed: 7))
        let conv = Convolution(weights: weights, stride: Pair(1, 5_000_000_000))
        #expect(ChannelsLastConvolution(conv, channels: 3, size: Pair(20, 20), activation: nil, sum: false) == nil)
        let usual = Convolution(weights: weights, stride: Pair(1, 2))
        #expect(ChannelsLastConvolution(usual, channels: 3, size: Pair(20, 20), activation: nil, sum: false) != nil)
    }

    /// Inputs with NaN, infinities and both zeros among ordinary values.
    static func awkward(_ shape: [Int], seed: UInt64) -> Tensor {
        var v = values(shape.reduce(1, *), seed: seed)
        for i in stride(from: 3, to: v.count, by: 37) { v[i] = .nan }
        for i in stride(from: 11, to: v.count, by: 53) { v[i] = .infinity }
        for i in stride(from: 17, to: v.count, by: 59) { v[i] = -.infinity }
        for i in stride(from: 5, to: v.count, by: 29) { v[i] = -0.0 }
        for i in stride(from: 7, to: v.count, by: 31) { v[i] = 0.0 }
        return Tensor(shape: shape, storage: v)
    }

    static func node(_ op: String, _ inputs: [String], _ attributes: [String: AttributeValue] = [:]) -> GraphNode {
        GraphNode(op: op, name: op.lowercased(), inputs: inputs, outputs: ["y"], attributes: attributes)
    }

    struct NodeCase: Sendable, CustomTestStringConvertible {
        var label: String
        var node: GraphNode
        var testDescription: String { label }
    }

    static let channels = 21
    static let nodeCases: [NodeCase] = [
        NodeCase(label: "MaxPool 3×3/2 ceil, pads", node: node("MaxPool", ["x"], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                                                    "pads": .ints([1, 0, 1, 2]), "ceil_mode": .int(1)])),
        NodeCase(label: "MaxPool 2×3 dilated", node: node("MaxPool", ["x"], ["kernel_shape": .ints([2, 3]), "dilations": .ints([2, 2]),
                                                                              "strides": .ints([1, 2])])),
        NodeCase(label: "MaxPool 3×3/1 same", node: node("MaxPool", ["x"], ["kernel_shape": .ints([3, 3]), "auto_pad": .string("SAME_UPPER")])),
        NodeCase(label: "AveragePool include pad", node: node("AveragePool", ["x"], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                                                      "pads": .ints([1, 1, 1, 1]), "count_include_pad": .int(1)])),
        NodeCase(label: "AveragePool exclude pad, ceil", node: node("AveragePool", ["x"], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]),
                                                                                            "pads": .ints([0, 1, 1, 0]), "ceil_mode": .int(1)])),
        NodeCase(label: "GlobalAveragePool", node: node("GlobalAveragePool", ["x"])),
        NodeCase(label: "BatchNormalization", node: node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["epsilon": .float(1e-3)])),
        NodeCase(label: "Relu", node: node("Relu", ["x"])),
        NodeCase(label: "Clip", node: node("Clip", ["x", "lo", "hi"])),
        NodeCase(label: "Sigmoid", node: node("Sigmoid", ["x"])),
        NodeCase(label: "Add", node: node("Add", ["x", "z"])),
        NodeCase(label: "Mul", node: node("Mul", ["x", "z"])),
        NodeCase(label: "Mul by [1, C, 1, 1]", node: node("Mul", ["x", "s"])),
        NodeCase(label: "Concat", node: node("Concat", ["x", "z", "x"], ["axis": .int(1)])),
    ]

    /// Each operator between the convolutions gives, channels-last, the bits of its ONNX-layout run
    /// (NaN where it is NaN, the sign of each zero), on a batch of two.
    @Test(arguments: nodeCases)
    func operatorGivesThePlainBits(c: NodeCase) throws {
        let k = Self.channels
        let params: [String: Tensor] = [
            "scale": Tensor(shape: [k], storage: Self.values(k, seed: 21)),
            "bias": Tensor(shape: [k], storage: Self.values(k, seed: 22)),
            "mean": Tensor(shape: [k], storage: Self.values(k, seed: 23)),
            "var": Tensor(shape: [k], storage: Self.values(k, seed: 24).map { abs($0) + 0.1 }),
            "lo": Tensor(shape: [], storage: [-0.25]), "hi": Tensor(shape: [], storage: [0.5]),
            "s": Tensor(shape: [1, k, 1, 1], storage: Self.values(k, seed: 25)),
        ]
        let x = Self.awkward([2, k, 11, 13], seed: 31), z = Self.awkward([2, k, 11, 13], seed: 32)
        // (z is a second computed input; the graph holds it as a tensor only to pass its checks.)
        let g = try Graph(nodes: [c.node], weights: params.merging(["z": z]) { $1 }, inputName: "x", inputShape: [2, k, 11, 13],
                          outputs: ["y"], opset: 13, file: "test")
        var last = ["x": ChannelsLast.from(x), "z": ChannelsLast.from(z)]
        let result = try #require(try g.channelsLastNode(0, values: [:], lastValues: &last, lastUse: [:], kept: []))
        let expected = try g.evaluate(c.node, index: 0, c.node.inputs.map { ["x": x, "z": z][$0] ?? params[$0] })[0]
        let got = result.channelsLast ? ChannelsLast.back(result.value) : result.value
        #expect(got.shape == expected.shape)
        let differing = zip(got.storage, expected.storage).filter { $0.bitPattern != $1.bitPattern && !($0.isNaN && $1.isNaN) }.count
        #expect(differing == 0, "\(differing) of \(got.count) values differ")
    }
}
