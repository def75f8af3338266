import Foundation
import Testing
@testable import FeatMapKit

/// Resize, Upsample, ConvTranspose and LpPool (issue 14 §3). Forward values and output shapes against
/// onnxruntime: Fixtures/ops14/spatial, made by Tests/scripts/ops14_spatial_fixtures.py (one
/// single-node model per case, seeded normal inputs, onnxruntime 1.32's CPU provider). Receptive
/// fields worked out by hand; backward passes against central finite differences of the forward pass.
@Suite struct SpatialOperatorTests {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/ops14/spatial/\(name)", withExtension: nil)!
    }

    static let cases: [String] = {
        guard let text = try? String(contentsOf: url("cases.txt"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }()

    static let reference: SafeTensors? = {
        let u = url("reference.safetensors")
        return try? SafeTensors(try Data(contentsOf: u), file: u.path)
    }()

    @Test func everyFamilyHasFixtures() {
        #expect(Self.cases.count >= 120)
        for prefix in ["upsample7_", "upsample9_", "resize10_", "resize11_", "resize13_", "resize18_", "resize19_", "convt_", "lppool_"] {
            #expect(Self.cases.contains { $0.hasPrefix(prefix) }, "no case for \(prefix)")
        }
    }

    /// Output within 1e-4 of the largest reference value, and the shape inference's shape equal to
    /// the forward pass's and onnxruntime's.
    @Test(arguments: cases)
    func matchesOnnxruntime(_ name: String) throws {
        let model = try Model.load(contentsOf: Self.url("\(name).onnx"))
        let ref = try #require(Self.reference)
        let input = try #require(ref.tensors["\(name).input"]), expected = try #require(ref.tensors["\(name).output"])
        let prepared = try model.graph.prepared(inputShape: input.shape)
        #expect(prepared.failure == nil, "\(String(describing: prepared.failure))")
        #expect(prepared.shapes["y"] == expected.shape)
        let result = model.graph.forward(input)
        #expect(result.stoppedBy == nil, "\(String(describing: result.stoppedBy))")
        let output = try #require(result.output)
        #expect(output.shape == expected.shape)
        #expect(ModelFixtures.relativeError(output.storage, expected.storage) <= 1e-4)
    }

    // MARK: receptive fields

    static func fields(_ nodes: [GraphNode], weights: [String: Tensor] = [:], shape: [Int] = [1, 1, 8, 8], opset: Int = 13) throws -> [LayerField] {
        let g = try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: shape, outputs: [nodes.last!.outputs[0]],
                          opset: opset, file: "test")
        return try g.analysed(channels: shape[1], height: shape[2], width: shape[3]).layers.map(\.field)
    }

    static func resize(_ mode: String, scale: Float, input: String = "x", output: String = "y", extra: [String: AttributeValue] = [:]) -> (GraphNode, [String: Tensor]) {
        let s = "s_\(output)"
        return (GraphNode(op: "Resize", name: output, inputs: [input, "", s], outputs: [output],
                          attributes: ["mode": .string(mode)].merging(extra) { $1 }),
                [s: Tensor(shape: [4], storage: [1, 1, scale, scale])])
    }

    /// Halving with half_pixel: output u's source is x = (u + ½)·2 − ½ = 2u + ½. Nearest
    /// (round_prefer_floor sends the tie to 2u) reads one cell: kernel 1, stride 2. Linear reads 2u and
    /// 2u + 1 (½ each): kernel 2, stride 2. Cubic reads 2u − 1 … 2u + 2, all four weights nonzero at
    /// ratio ½: kernel 4, stride 2, one cell before the image.
    @Test func halvingIsAWindow() throws {
        for (mode, size, padding) in [("nearest", 1, 0), ("linear", 2, 0), ("cubic", 4, 1)] {
            let (node, w) = Self.resize(mode, scale: 0.5)
            #expect(try Self.fields([node], weights: w) == [.spatial(ReceptiveField(size: Pair(both: size), jump: Pair(2, 2), padding: Pair(both: padding)))], "\(mode)")
        }
        // After a 3×3 convolution padded by 1 (r 3, S 1, P 1): linear halving gives r = 3 + (2 − 1)·1 = 4, S 2, P 1.
        let conv = GraphNode(op: "Conv", name: "c", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])])
        let (node, w) = Self.resize("linear", scale: 0.5, input: "c")
        let f = try Self.fields([conv, node], weights: w.merging(["w": Tensor(shape: [1, 1, 3, 3], repeating: 1)]) { $1 })
        #expect(f.last == .spatial(ReceptiveField(size: Pair(4, 4), jump: Pair(2, 2), padding: Pair(1, 1))))
    }

    /// Doubling: output cells 2i and 2i + 1 both read input i (nearest), so the step between
    /// neighbouring units' fields alternates 0, 1: no one stride describes it. It is said to be
    /// irregular, and so is every layer after it, a join included.
    @Test func enlargingIsIrregular() throws {
        for mode in ["nearest", "linear", "cubic"] {
            let (node, w) = Self.resize(mode, scale: 2)
            let conv = GraphNode(op: "Conv", name: "c", inputs: ["y", "w"], outputs: ["c"])
            let add = GraphNode(op: "Add", name: "a", inputs: ["c", "c"], outputs: ["a"])
            let f = try Self.fields([node, conv, add], weights: w.merging(["w": Tensor(shape: [1, 1, 1, 1], repeating: 1)]) { $1 })
            guard case .irregular(let why) = f[0] else { Issue.record("\(mode): \(f[0])"); continue }
            #expect(why.contains("8 → 16"))
            #expect(f[1] == f[0] && f[2] == f[0])
        }
    }

    /// ConvTranspose with stride 1 is a convolution padded by d(k − 1) − p: kernel 3, pads 1 gives
    /// r 3, S 1, P 1; kernel 3, dilation 2, no pads spans 5 with P 4. Stride 2 is irregular.
    @Test func transposedConvolutionFields() throws {
        let w = ["w": Tensor(shape: [1, 1, 3, 3], repeating: 1)]
        func field(_ attributes: [String: AttributeValue]) throws -> LayerField {
            try Self.fields([GraphNode(op: "ConvTranspose", name: "t", inputs: ["x", "w"], outputs: ["t"], attributes: attributes)], weights: w)[0]
        }
        #expect(try field(["pads": .ints([1, 1, 1, 1])]) == .spatial(ReceptiveField(size: Pair(3, 3), jump: .one, padding: .one)))
        #expect(try field(["dilations": .ints([2, 2])]) == .spatial(ReceptiveField(size: Pair(5, 5), jump: .one, padding: Pair(4, 4))))
        guard case .irregular = try field(["strides": .ints([2, 2])]) else { Issue.record("stride 2 should be irregular"); return }
    }

    /// A squeeze-and-excitation gate: GlobalAveragePool → Sigmoid → Mul with the maps it came from. The
    /// gate's field is the whole input (8 + 2 of padding: size 10 from the 3×3 with pads 1 over 8×8); the
    /// product keeps the convolution's 3×3 window, jump 1, padding 1, whichever side the gate is on.
    @Test func excitationGateKeepsTheWindow() throws {
        let w = ["w": Tensor(shape: [2, 1, 3, 3], repeating: 1)]
        let conv = GraphNode(op: "Conv", name: "c", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])])
        let window = LayerField.spatial(ReceptiveField(size: Pair(3, 3), jump: .one, padding: .one))
        for inputs in [["c", "s"], ["s", "c"]] {
            let f = try Self.fields([conv, GraphNode(op: "GlobalAveragePool", name: "g", inputs: ["c"], outputs: ["g"]),
                                     GraphNode(op: "Sigmoid", name: "s", inputs: ["g"], outputs: ["s"]),
                                     GraphNode(op: "Mul", name: "m", inputs: inputs, outputs: ["m"])], weights: w)
            #expect(f[0] == window && f[3] == window, "\(inputs): \(f)")
            guard case .spatial(let gate) = f[2] else { Issue.record("the gate has no field: \(f[2])"); continue }
            #expect(gate.size == Pair(10, 10))
        }
    }

    /// LpPool is a window like any pooling: kernel 3, stride 2, pads 1 → r 3, S 2, P 1.
    @Test func lpPoolField() throws {
        let node = GraphNode(op: "LpPool", name: "p", inputs: ["x"], outputs: ["p"],
                             attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
        #expect(try Self.fields([node]) == [.spatial(ReceptiveField(size: Pair(3, 3), jump: Pair(2, 2), padding: .one))])
    }

    // MARK: backward

    /// ∂(Σ g·y)/∂x from the unit's backward against central differences of its forward pass, for a
    /// fixture case's node (its weights as constants).
    static func checkGradient(_ name: String, step: Float = 1e-2, tolerance: Float = 2e-3) throws {
        let model = try Model.load(contentsOf: url("\(name).onnx"))
        let ref = try #require(reference)
        let x = try #require(ref.tensors["\(name).input"])
        let g = model.graph, node = g.nodes[0]
        let unit = try #require(OperatorRegistry.unit(for: node.op, opset: g.opset))
        func run(_ x: Tensor) throws -> Tensor {
            try unit.forward(node, OperatorInputs(values: node.inputs.map { $0 == "x" ? x : ($0.isEmpty ? nil : g.weights[$0]) }, opset: g.opset))[0]
        }
        let y = try run(x)
        var seed = UInt64(7)
        let gradient = (0..<y.count).map { _ -> Float in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(seed >> 40) % 2001 - 1000) / 1000
        }
        var step0 = BackwardContext(label: name, inputs: node.inputs.map { $0 == "x" ? x : ($0.isEmpty ? nil : g.weights[$0]) },
                                    carriesGradient: node.inputs.map { $0 == "x" }, output: y, gradient: gradient)
        try unit.backward(node, &step0)
        let analytic = try #require(step0.inputGradients[0])
        #expect(analytic.count == x.count)
        func objective(_ t: Tensor) throws -> Double {
            zip(try run(t).storage, gradient).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var worst: Float = 0
        let scale = max(analytic.map(abs).max() ?? 0, 1e-3)
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.storage[i] += step; minus.storage[i] -= step
            let numeric = Float((try objective(plus) - objective(minus)) / Double(2 * step))
            worst = max(worst, abs(numeric - analytic[i]) / scale)
        }
        #expect(worst <= tolerance, "\(name): worst relative gradient error \(worst)")
    }

    @Test(arguments: ["resize13_up2_nearest", "resize13_down2_linear", "resize13_scales_half_pixel_cubic",
                      "resize13_scales_tf_crop_and_resize_linear", "resize13_sizes_align_corners_nearest_round_prefer_ceil",
                      "resize13_cubic_a50_ex1", "resize18_axes_scales", "upsample7_linear", "resize19_symmetric_cubic"])
    func resizeBackward(_ name: String) throws { try Self.checkGradient(name) }

    @Test(arguments: ["convt_plain", "convt_stride2_pads", "convt_dilation_stride_pads", "convt_groups", "convt_output_padding",
                      "convt_output_shape", "convt_auto_same_upper", "convt_stride_asym_pads"])
    func convTransposeBackward(_ name: String) throws { try Self.checkGradient(name) }

    @Test(arguments: ["lppool_p2", "lppool_p1_stride", "lppool_p3_pads", "lppool_dilations", "lppool_ceil_mode"])
    func lpPoolBackward(_ name: String) throws { try Self.checkGradient(name, step: 1e-3, tolerance: 1e-2) }

    /// Antialias by hand: 1 2 3 4 shrunk to two cells (half_pixel, scale ½). Output 0 sits at x = 0.5;
    /// the triangle stretched to support 2 weighs cells −1, 0, 1, 2 at distances 1.5, 0.5, 0.5, 1.5 times ½:
    /// 0.25, 0.75, 0.75, 0.25, normalised 1/8, 3/8, 3/8, 1/8, and cell −1 clamps to 0: ½·1 + ⅜·2 + ⅛·3 = 1.625.
    /// Output 1 (x = 2.5) mirrors it: ⅛·2 + ⅜·3 + ½·4 = 3.375. Without antialias the two are 1.5 and 3.5.
    @Test func antialiasWidensTheTriangle() throws {
        let node = GraphNode(op: "Resize", name: "r", inputs: ["x", "", "s"], outputs: ["y"],
                             attributes: ["mode": .string("linear"), "antialias": .int(1)])
        let g = try Graph(nodes: [node], weights: ["s": Tensor(shape: [4], storage: [1, 1, 1, 0.5])], inputName: "x",
                          inputShape: [1, 1, 1, 4], outputs: ["y"], opset: 18, file: "test")
        let y = try #require(g.forward(Tensor(shape: [1, 1, 1, 4], storage: [1, 2, 3, 4])).output)
        #expect(y.storage == [1.625, 3.375])
    }

    /// Resize refuses to scale the batch or channel axis, saying which.
    @Test func refusesChannelScales() throws {
        let node = GraphNode(op: "Resize", name: "r", inputs: ["x", "", "s"], outputs: ["y"])
        let g = try Graph(nodes: [node], weights: ["s": Tensor(shape: [4], storage: [1, 2, 2, 2])], inputName: "x",
                          inputShape: [1, 1, 4, 4], outputs: ["y"], opset: 13, file: "test")
        let p = try g.prepared(inputShape: [1, 1, 4, 4])
        #expect(String(describing: p.failure).contains("channel axis"))
    }
}
