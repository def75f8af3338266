import Foundation
import Testing
@testable import FeatMapKit

/// The math operators of issue 14 (elementwise functions, PRelu, Pow, LogSoftmax, Sum/Max/Min/Mean,
/// Reduce*, the normalisations and LRN): forward values and static shapes against onnxruntime, receptive
/// fields worked out by hand, backward passes against central finite differences.
@Suite struct MathOperatorTests {
    /// Fixtures from Tests/scripts/ops14_math_fixtures.py: one small model per case and onnxruntime's
    /// outputs on a seeded input (NumPy from the spec's formula for the even LRN size onnxruntime refuses).
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/ops14/math/\(name)", withExtension: nil)!
    }
    static let cases: [String] = ((try? String(contentsOf: url("cases.txt"), encoding: .utf8)) ?? "")
        .split(separator: "\n").map(String.init)

    @Test func everyFixtureCaseIsListed() { #expect(Self.cases.count == 65) }

    @Test(arguments: cases)
    func matchesOnnxruntime(_ name: String) throws {
        let model = try Model.load(contentsOf: Self.url("\(name).onnx"))
        let u = Self.url("reference.safetensors")
        let ref = try SafeTensors(try Data(contentsOf: u), file: u.path).tensors
        let input = try #require(ref["\(name).input"]), expected = try #require(ref["\(name).y"])
        func shape(_ output: String) throws -> [Int] { try #require(ref["\(name).\(output).shape"]).storage.map { Int($0) } }
        let result = model.graph.forward(input)
        #expect(result.stoppedBy == nil, "\(String(describing: result.stoppedBy))")
        let output = try #require(result.output)
        let yShape = try shape("y")
        #expect(output.shape == yShape)
        let err = ModelFixtures.relativeError(output.storage, expected.storage)
        #expect(err <= 1e-5, "differs by \(err) of its largest magnitude")
        // Static shape inference gives the shape the forward pass gave.
        let prepared = try model.graph.prepared(inputShape: input.shape)
        #expect(prepared.failure == nil)
        #expect(prepared.shapes["y"] == output.shape)
        // LayerNormalization's optional outputs, from the unit itself.
        if let mean = ref["\(name).mean"], let inverse = ref["\(name).inv"] {
            let node = try #require(model.graph.nodes.last)
            let unit = try #require(OperatorRegistry.unit(for: node.op, opset: model.graph.opset))
            let outs = try unit.forward(node, OperatorInputs(values: node.inputs.map { $0 == "x" ? input : model.graph.weights[$0] },
                                                             opset: model.graph.opset))
            #expect(outs.count == 3)
            let (meanShape, inverseShape) = (try shape("mean"), try shape("inv"))
            #expect(outs[1].shape == meanShape && outs[2].shape == inverseShape)
            #expect(prepared.shapes["mean"] == outs[1].shape && prepared.shapes["inv"] == outs[2].shape)
            #expect(ModelFixtures.relativeError(outs[1].storage, mean.storage) <= 1e-5)
            #expect(ModelFixtures.relativeError(outs[2].storage, inverse.storage) <= 1e-5)
        }
    }

    /// Receptive fields on an 8×8 input after a 3×3 convolution without padding (field 3, stride 1,
    /// padding 0, centre offset (r − 1) − 2P = 2):
    /// - HardSwish, LRN and PRelu keep each cell where it is: still 3×3;
    /// - ReduceMean over H and W of the 6×6 map is a 6×6 window: 3 + (6 − 1) = 8 on each axis, the whole input;
    /// - over W alone with keepdims (axes from a Constant node, folded at load): 3 × 8; without keepdims: no layout;
    /// - ReduceSum over the channels keeps 3×3;
    /// - Sum of the conv map and a 4×4 conv padded by 1 at the top and left (6×6 too, field 4, padding 1,
    ///   centre offset 3 − 2 = 1): the offsets 2 and 1 differ, so not aligned;
    /// - Mean of the input and a 3×3 conv padded by 1 (offset 3 − 1 − 2 = 0): aligned, the larger field 3×3.
    @Test func receptiveFieldsThroughTheMathOperators() throws {
        let w = Tensor(shape: [1, 1, 3, 3], repeating: 1)
        let nodes = [
            GraphNode(op: "Conv", name: "c", inputs: ["x", "w"], outputs: ["c"]),
            GraphNode(op: "HardSwish", name: "h", inputs: ["c"], outputs: ["h"]),
            GraphNode(op: "LRN", name: "l", inputs: ["h"], outputs: ["l"], attributes: ["size": .int(3)]),
            GraphNode(op: "PRelu", name: "p", inputs: ["l", "slope"], outputs: ["p"]),
            GraphNode(op: "ReduceMean", name: "global", inputs: ["p", "hw"], outputs: ["global"]),
            GraphNode(op: "Constant", name: "k", inputs: [], outputs: ["lastAxis"],
                      attributes: ["value": .tensor(Tensor(shape: [1], storage: [-1]))]),
            GraphNode(op: "ReduceMean", name: "rows", inputs: ["p", "lastAxis"], outputs: ["rows"]),
            GraphNode(op: "ReduceMean", name: "flat", inputs: ["p", "lastAxis"], outputs: ["flat"], attributes: ["keepdims": .int(0)]),
            GraphNode(op: "ReduceSum", name: "channels", inputs: ["p", "channelAxis"], outputs: ["channels"]),
            GraphNode(op: "Conv", name: "c4", inputs: ["x", "w4"], outputs: ["c4"], attributes: ["pads": .ints([1, 1, 0, 0])]),
            GraphNode(op: "Sum", name: "joined", inputs: ["p", "c4"], outputs: ["joined"]),
            GraphNode(op: "Conv", name: "c2", inputs: ["x", "w"], outputs: ["c2"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            GraphNode(op: "Mean", name: "aligned", inputs: ["x", "c2"], outputs: ["aligned"]),
        ]
        let g = try Graph(nodes: nodes, weights: ["w": w, "w4": Tensor(shape: [1, 1, 4, 4], repeating: 1), "slope": Tensor(shape: [1, 1, 1], storage: [0.1]),
                                                  "hw": Tensor(shape: [2], storage: [2, 3]), "channelAxis": Tensor(shape: [1], storage: [1])],
                          inputName: "x", inputShape: [1, 1, 8, 8], outputs: ["aligned"], opset: 18, file: "test")
        let a = try g.analysed(channels: 1, height: 8, width: 8)
        #expect(a.stoppedBy == nil)
        func field(_ name: String) throws -> LayerField {
            try #require(a.layers.first { $0.name == name }, "no layer \(name)").field
        }
        let conv = ReceptiveField(size: Pair(3, 3), jump: .one, padding: Pair(0, 0))
        for name in ["c", "h", "l", "p", "channels"] { #expect(try field(name) == .spatial(conv), "\(name)") }
        #expect(try field("global") == .spatial(ReceptiveField(size: Pair(8, 8), jump: .one, padding: Pair(0, 0))))
        #expect(a.layers.first { $0.name == "global" }?.kernel == Pair(6, 6))
        #expect(try field("rows") == .spatial(ReceptiveField(size: Pair(3, 8), jump: .one, padding: Pair(0, 0))))
        #expect(try field("flat") == .notSpatial)
        #expect(try field("joined") == .notAligned)
        #expect(try field("aligned") == .spatial(ReceptiveField(size: Pair(3, 3), jump: .one, padding: Pair(1, 1))))
        // The Constant is folded, not a layer; the first reduction ends the default selection.
        #expect(!a.layers.contains { $0.name == "k" })
        #expect(g.defaultLayerIndices == [0, 1, 2, 3])
    }

    // MARK: backward passes against finite differences

    /// A deterministic input away from the functions' kinks: magnitudes in [0.1, 1.9] (Abs at 0,
    /// HardSigmoid's at ±2.5, HardSwish's at ±3), positive when `positive`.
    static func input(_ shape: [Int], positive: Bool = false, seed: UInt32 = 3) -> Tensor {
        var s = seed
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            s = s &* 1_664_525 &+ 1_013_904_223
            let u = Float(s >> 8) / Float(1 << 24)
            let m = 0.1 + 1.8 * (u * 2).truncatingRemainder(dividingBy: 1)
            return positive || u >= 0.5 ? m : -m
        }
        return Tensor(shape: shape, storage: values)
    }

    /// ∂ unit/∂ input from `inputGradient` against (f(x + h) − f(x − h))/2h for every input value, h = 10⁻².
    static func checkGradient(_ nodes: [GraphNode], weights: [String: Tensor] = [:], opset: Int = 18,
                              input x: Tensor, unit: MapUnit, _ comment: String) throws {
        let g = try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: [1] + x.shape,
                          outputs: [nodes.last!.outputs[0]], opset: opset, file: "test")
        let target = nodes.count - 1
        let grad = try g.inputGradient(of: unit, atNode: target, input: x)
        func value(_ t: Tensor) throws -> Float {
            let out = try #require(g.forward(t, keep: { $0 == target }).layers.first?.featureMaps)
            let (_, h, w) = try #require(out.planeShape)
            return out.storage[(unit.channel * h + unit.y) * w + unit.x]
        }
        let h: Float = 1e-2
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.storage[i] += h
            minus.storage[i] -= h
            let fd = (try value(plus) - value(minus)) / (2 * h)
            let diff = abs(grad.storage[i] - fd)
            #expect(diff <= 1e-3 + 1e-2 * abs(fd), "\(comment) at \(i): gradient \(grad.storage[i]), finite difference \(fd)")
            if diff > 1e-3 + 1e-2 * abs(fd) { return }
        }
        // A gradient that is zero everywhere would pass trivially where the function is flat.
        #expect(grad.storage.contains { $0 != 0 }, "\(comment): the gradient is zero everywhere")
    }

    static let unaryCases: [(String, [String: AttributeValue], Bool)] = [
        ("Elu", ["alpha": .float(0.7)], false), ("Selu", [:], false), ("Celu", ["alpha": .float(1.5)], false),
        ("Softplus", [:], false), ("Softsign", [:], false), ("HardSigmoid", ["alpha": .float(0.3), "beta": .float(0.4)], false),
        ("HardSwish", [:], false), ("Gelu", [:], false), ("Gelu", ["approximate": .string("tanh")], false), ("Mish", [:], false),
        ("Erf", [:], false), ("Exp", [:], false), ("Log", [:], true), ("Sqrt", [:], true), ("Abs", [:], false),
        ("Neg", [:], false), ("Reciprocal", [:], false),
    ]

    @Test(arguments: unaryCases.indices)
    func unaryGradientMatchesFiniteDifferences(_ k: Int) throws {
        let (op, attributes, positive) = Self.unaryCases[k]
        let opset = op == "Gelu" ? 20 : 18
        try Self.checkGradient([GraphNode(op: op, inputs: ["x"], outputs: ["y"], attributes: attributes)], opset: opset,
                               input: Self.input([2, 3, 3], positive: positive), unit: MapUnit(channel: 1, y: 1, x: 2), "\(op) \(attributes)")
    }

    /// Floor and Ceil are flat between integers: their gradient is zero (worked out by hand).
    @Test(arguments: ["Floor", "Ceil"])
    func floorAndCeilPassNoGradient(_ op: String) throws {
        let g = try Graph(nodes: [GraphNode(op: op, inputs: ["x"], outputs: ["y"])], weights: [:], inputName: "x",
                          inputShape: [1, 1, 2, 2], outputs: ["y"], opset: 13, file: "test")
        let grad = try g.inputGradient(of: MapUnit(channel: 0, y: 0, x: 1), atNode: 0, input: Tensor(shape: [1, 2, 2], storage: [0.5, 1.5, -0.5, 2.5]))
        #expect(grad.storage == [0, 0, 0, 0])
    }

    @Test func binaryAndVariadicGradientsMatchFiniteDifferences() throws {
        let x = Self.input([2, 3, 4]), positive = Self.input([2, 3, 4], positive: true)
        let unit = MapUnit(channel: 1, y: 2, x: 1)
        let channelScale = Tensor(shape: [2, 1, 1], storage: [0.25, -1.5])
        try Self.checkGradient([GraphNode(op: "PRelu", inputs: ["x", "s"], outputs: ["y"])], weights: ["s": channelScale],
                               input: x, unit: unit, "PRelu")
        try Self.checkGradient([GraphNode(op: "Pow", inputs: ["x", "e"], outputs: ["y"])], weights: ["e": Tensor(shape: [2, 1, 1], storage: [2.5, -0.5])],
                               input: positive, unit: unit, "Pow with a constant exponent")
        // Both the base and the exponent carry a gradient: d(x^x)/dx = x^x (ln x + 1).
        try Self.checkGradient([GraphNode(op: "Pow", inputs: ["x", "x"], outputs: ["y"])], input: positive, unit: unit, "Pow(x, x)")
        try Self.checkGradient([GraphNode(op: "Exp", inputs: ["x"], outputs: ["e"]),
                                GraphNode(op: "Sum", inputs: ["x", "e", "b"], outputs: ["y"])],
                               weights: ["b": Tensor(shape: [4], storage: [1, 2, 3, 4])], input: x, unit: unit, "Sum")
        // The channel mean [1, 1, 3, 4] broadcast back over both channels: its gradient sums over them.
        try Self.checkGradient([GraphNode(op: "ReduceMean", inputs: ["x", "a"], outputs: ["m"]),
                                GraphNode(op: "Mean", inputs: ["x", "m", "x"], outputs: ["y"])],
                               weights: ["a": Tensor(shape: [1], storage: [1])], input: x, unit: unit, "Mean with a broadcast input")
        try Self.checkGradient([GraphNode(op: "Neg", inputs: ["x"], outputs: ["n"]),
                                GraphNode(op: "Max", inputs: ["x", "n"], outputs: ["y"])], input: x, unit: unit, "Max")
        try Self.checkGradient([GraphNode(op: "ReduceMax", inputs: ["x", "a"], outputs: ["m"]),
                                GraphNode(op: "Min", inputs: ["m", "x"], outputs: ["y"])],
                               weights: ["a": Tensor(shape: [1], storage: [-1])], input: x, unit: unit, "Min with a broadcast maximum")
    }

    @Test(arguments: ["ReduceMean", "ReduceMax", "ReduceSum", "ReduceL2"])
    func reductionGradientsMatchFiniteDifferences(_ op: String) throws {
        try Self.checkGradient([GraphNode(op: op, inputs: ["x", "a"], outputs: ["y"])], weights: ["a": Tensor(shape: [2], storage: [2, 3])],
                               input: Self.input([3, 3, 4]), unit: MapUnit(channel: 2, y: 0, x: 0), op)
        // Opset 13 reads ReduceMean's, ReduceMax's and ReduceL2's axes from the attribute (ReduceSum's from the input).
        let attribute = GraphNode(op: op, inputs: op == "ReduceSum" ? ["x", "a"] : ["x"], outputs: ["y"], attributes: ["axes": .ints([-1])])
        try Self.checkGradient([attribute], weights: ["a": Tensor(shape: [1], storage: [-1])], opset: 13,
                               input: Self.input([3, 3, 4], seed: 9), unit: MapUnit(channel: 1, y: 2, x: 0), "\(op) at opset 13")
    }

    @Test func normalizationGradientsMatchFiniteDifferences() throws {
        let x = Self.input([4, 3, 3]), unit = MapUnit(channel: 2, y: 1, x: 0)
        let perChannel = Tensor(shape: [4], storage: [0.5, -1, 2, 1.5]), bias = Tensor(shape: [4], storage: [0.1, 0.2, 0.3, 0.4])
        try Self.checkGradient([GraphNode(op: "LRN", inputs: ["x"], outputs: ["y"], attributes: ["size": .int(3), "alpha": .float(0.5), "beta": .float(0.75)])],
                               input: x, unit: unit, "LRN size 3")
        try Self.checkGradient([GraphNode(op: "LRN", inputs: ["x"], outputs: ["y"], attributes: ["size": .int(2), "alpha": .float(1), "bias": .float(2)])],
                               input: x, unit: unit, "LRN size 2")
        try Self.checkGradient([GraphNode(op: "InstanceNormalization", inputs: ["x", "s", "b"], outputs: ["y"])],
                               weights: ["s": perChannel, "b": bias], input: x, unit: unit, "InstanceNormalization")
        try Self.checkGradient([GraphNode(op: "GroupNormalization", inputs: ["x", "s", "b"], outputs: ["y"], attributes: ["num_groups": .int(2)])],
                               weights: ["s": Tensor(shape: [2], storage: [0.5, -2]), "b": Tensor(shape: [2], storage: [1, 2])],
                               opset: 18, input: x, unit: unit, "GroupNormalization-18")
        try Self.checkGradient([GraphNode(op: "GroupNormalization", inputs: ["x", "s", "b"], outputs: ["y"], attributes: ["num_groups": .int(2)])],
                               weights: ["s": perChannel, "b": bias], opset: 21, input: x, unit: unit, "GroupNormalization-21")
        try Self.checkGradient([GraphNode(op: "LayerNormalization", inputs: ["x", "s"], outputs: ["y"], attributes: ["axis": .int(1)])],
                               weights: ["s": Tensor(shape: [3, 1], storage: [1, -0.5, 2])], opset: 17, input: x, unit: unit, "LayerNormalization axis 1")
        try Self.checkGradient([GraphNode(op: "LayerNormalization", inputs: ["x", "s", "b"], outputs: ["y"])],
                               weights: ["s": Tensor(shape: [3], storage: [1, -0.5, 2]), "b": Tensor(shape: [3], storage: [0, 1, 0])],
                               opset: 17, input: x, unit: unit, "LayerNormalization last axis")
    }

    /// GroupNormalization's scale is per group at opset 18 and per channel from 21: one group over two
    /// channels with a one-value scale runs at 18 and is refused at 21, where two channels need two values.
    @Test func groupNormalizationScaleFollowsTheOpset() throws {
        let node = GraphNode(op: "GroupNormalization", inputs: ["x", "s", "b"], outputs: ["y"], attributes: ["num_groups": .int(1)])
        let one = ["s": Tensor(shape: [1], storage: [3]), "b": Tensor(shape: [1], storage: [1])]
        // x = [1, 3 | 1, 3]: mean 2, variance 1, so x̂ = [−1, 1, −1, 1] (ε = 0); ×3 + 1 → [−2, 4, −2, 4].
        let x = Tensor(shape: [2, 1, 2], storage: [1, 3, 1, 3])
        var exact = node
        exact.attributes["epsilon"] = .float(0)
        let g18 = try Graph(nodes: [exact], weights: one, inputName: "x", inputShape: [1, 2, 1, 2], outputs: ["y"], opset: 18, file: "test")
        #expect(try #require(g18.forward(x).output).storage == [-2, 4, -2, 4])
        let g21 = try Graph(nodes: [exact], weights: one, inputName: "x", inputShape: [1, 2, 1, 2], outputs: ["y"], opset: 21, file: "test")
        #expect(g21.forward(x).output == nil)
        #expect(try g21.prepared(inputShape: [1, 2, 1, 2]).failure != nil)
    }
}
