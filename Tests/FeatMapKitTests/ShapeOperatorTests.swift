import Foundation
import Testing
@testable import FeatMapKit

/// The operators of shape subgraphs (Shape, Gather, Unsqueeze, Squeeze, Slice, Split, Expand, Tile, Range,
/// ConstantOfShape, Cast, Where, Equal), Pad, DepthToSpace, SpaceToDepth and batched MatMul.
/// Values: `Fixtures/ops14/shape/`, small models and onnxruntime's outputs for seeded random 4-D inputs,
/// made by `Tests/scripts/ops14_shape_fixtures.py`. Receptive fields and gradients: by hand, or by the
/// adjoint identity of linear maps.
@Suite struct ShapeOperatorTests {
    static func url(_ name: String) -> URL { Bundle.module.url(forResource: "Fixtures/ops14/shape/\(name)", withExtension: nil)! }
    static let reference: SafeTensors = {
        let u = url("reference.safetensors")
        return try! SafeTensors(try! Data(contentsOf: u), file: u.path)
    }()

    static let cases = [
        "shape_opset13", "shape_opset15_start_end", "shape_opset15_clamped",
        "gather_axis1_negative", "gather_last_axis_2d", "gather_scalar_axis0",
        "unsqueeze_opset11", "unsqueeze_opset13", "squeeze_opset11", "squeeze_opset13_input", "squeeze_opset13_all",
        "slice_opset9", "slice_opset13_steps", "slice_opset13_negative_steps", "slice_opset11_default_axes",
        "split_opset11_attribute", "split_opset11_equal", "split_opset13_input", "split_opset13_equal", "split_opset18_num_outputs",
        "expand", "expand_lower_rank_shape", "tile", "range_int64", "range_float", "constant_of_shape_value", "constant_of_shape_default",
        "cast_int64", "cast_int32_opset9", "cast_bool", "cast_float16", "where_broadcast", "equal_broadcast", "equal_where_mask",
        "pad_opset10_constant", "pad_opset11_reflect", "pad_opset11_edge", "pad_opset13_constant_value_negative", "pad_opset18_axes",
        "pad_opset19_wrap", "depth_to_space_opset9", "depth_to_space_dcr", "depth_to_space_crd", "space_to_depth",
        "matmul_batched", "matmul_broadcast_batch", "matmul_matrix_left", "matmul_vector", "view_flatten_opset11", "view_flatten_opset13",
    ]

    /// Each case three ways: the forward pass (with its constant folding) gives onnxruntime's first output;
    /// running every node in turn gives every output (each Split part); and each node's `outputShapes`,
    /// from its input shapes and constant inputs, equals the shapes its forward gives, as do the shapes of
    /// `prepared`.
    @Test(arguments: cases)
    func operatorMatchesOnnxruntime(_ name: String) throws {
        let graph = try Model.load(contentsOf: Self.url("\(name).onnx")).graph
        let ref = Self.reference.tensors
        let input = try #require(ref["\(name).input"])
        let expected = try graph.outputs.indices.map { try #require(ref["\(name).out\($0)"], "\(name).out\($0)") }

        let pass = graph.forward(input)
        #expect(pass.stoppedBy == nil, "\(String(describing: pass.stoppedBy))")
        let output = try #require(pass.output)
        #expect(output.shape == expected[0].shape)
        #expect(ModelFixtures.relativeError(output.storage, expected[0].storage) <= 1e-5)

        let prepared = try graph.prepared(inputShape: input.shape)
        #expect(prepared.failure == nil)
        for (k, o) in graph.outputs.enumerated() { #expect(prepared.shapes[o] == expected[k].shape, "\(o)") }

        var values: [String: Tensor] = graph.weights
        values[graph.inputName] = input
        for (i, node) in graph.nodes.enumerated() {
            let args = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            let results = try graph.evaluate(node, index: i, args)
            let unit = try #require(graph.operatorUnit(of: node))
            let shapes = try unit.outputShapes(node, ShapeInputs(shapes: args.map { $0?.shape }, constants: args, opset: graph.opset))
            #expect(shapes == results.map(\.shape), "\(node.op) outputShapes")
            for (o, r) in zip(node.outputs, results) { values[o] = r }
        }
        for (k, o) in graph.outputs.enumerated() {
            let got = try #require(values[o])
            #expect(got.shape == expected[k].shape, "\(o)")
            #expect(ModelFixtures.relativeError(got.storage, expected[k].storage) <= 1e-5, "\(o)")
        }
    }

    /// The legacy exporter's `x.view(x.size(0), -1)`: Shape → Gather → Unsqueeze → Concat → Reshape folds
    /// at preparation. The Constant nodes fold at load (they leave the graph, their values become
    /// weights); the Shape, Gather, Unsqueeze and Concat are folded nodes of the preparation, none is a layer
    /// of the pass; the default layers are the Conv and Relu, and the Reshape of the [2, 3, 4, 4] maps
    /// gives [2, 48] (checked against onnxruntime above).
    @Test(arguments: ["view_flatten_opset11", "view_flatten_opset13"])
    func shapeSubgraphFoldsAtPreparation(_ name: String) throws {
        let graph = try Model.load(contentsOf: Self.url("\(name).onnx")).graph
        let input = try #require(Self.reference.tensors["\(name).input"])
        let prepared = try graph.prepared(inputShape: input.shape)
        #expect(!graph.nodes.contains { $0.op == "Constant" })
        let shapeOps: Set<String> = ["Shape", "Gather", "Unsqueeze", "Concat"]
        let folded = Set(graph.nodes.indices.filter { shapeOps.contains(graph.nodes[$0].op) })
        #expect(folded.count == 4)
        #expect(prepared.foldedNodes == folded)
        let reshape = try #require(graph.nodes.firstIndex { $0.op == "Reshape" })
        #expect(prepared.shapes[graph.nodes[reshape].outputs[0]] == [2, 48])
        let pass = graph.forward(input, keep: { _ in true })
        #expect(pass.stoppedBy == nil)
        #expect(pass.layers.map(\.op) == ["Conv", "Relu", "Reshape"])
        #expect(graph.defaultLayerIndices == [0, 1])
        #expect(graph.nodes[0].op == "Conv" && graph.nodes[1].op == "Relu")
        // info: the folded nodes are not layers either.
        let analysis = try graph.analysed(channels: 2, height: 4, width: 4)
        #expect(analysis.stoppedBy == nil)
        #expect(analysis.layers.map(\.op) == ["Conv", "Relu", "Reshape"])
    }

    // MARK: receptive fields, by hand

    static func i64(_ v: [Int]) -> Tensor { Tensor(shape: [v.count], storage: v.map(Float.init)) }

    /// A 3×3 convolution with stride 2 on 17×17 (field 3, jump 2, padding 0), then `node` reading "c".
    static func fieldAfterStridedConv(_ node: GraphNode, weights: [String: Tensor] = [:], extra: [GraphNode] = [], opset: Int = 13) throws -> LayerField {
        let conv = GraphNode(op: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: ["strides": .ints([2, 2])])
        var w = weights
        w["w"] = Tensor(shape: [4, 1, 3, 3], repeating: 1)
        let g = try Graph(nodes: [conv] + extra + [node], weights: w, inputName: "x", inputShape: [1, 1, 17, 17], outputs: [node.outputs[0]],
                          opset: opset, file: "test")
        let a = try g.analysed(channels: 1, height: 17, width: 17)
        #expect(a.stoppedBy == nil, "\(String(describing: a.stoppedBy))")
        return try #require(a.layers.last).field
    }

    /// Slice H from 1 by 2 and W from 2 by 1: unit u is conv unit 1 + 2u on H, which sees from (1 + 2u)·2,
    /// so jump 4 and padding 0 − 1·2 = −2; on W it is unit 2 + u, from (2 + u)·2: jump 2, padding −4.
    /// The starts come from a Constant node (folded) and the rest from initializers.
    @Test func sliceOverHeightAndWidthMovesTheField() throws {
        let starts = GraphNode(op: "Constant", inputs: [], outputs: ["s"], attributes: ["value": .tensor(Self.i64([1, 2]))])
        let slice = GraphNode(op: "Slice", inputs: ["c", "s", "e", "a", "t"], outputs: ["y"])
        let f = try Self.fieldAfterStridedConv(slice, weights: ["e": Self.i64([Int(Int32.max), 7]), "a": Self.i64([2, 3]), "t": Self.i64([2, 1])],
                                               extra: [starts])
        #expect(f == .spatial(ReceptiveField(size: Pair(3, 3), jump: Pair(4, 2), padding: Pair(-2, -4))))
        // Opset 9's attributes, channels only: the field is the convolution's.
        let channels = GraphNode(op: "Slice", inputs: ["c"], outputs: ["y"], attributes: ["starts": .ints([1]), "ends": .ints([3]), "axes": .ints([1])])
        #expect(try Self.fieldAfterStridedConv(channels, opset: 9) == .spatial(ReceptiveField(size: Pair(3, 3), jump: Pair(2, 2), padding: Pair(0, 0))))
        // A reversed W has no field u·S − P.
        let reversed = GraphNode(op: "Slice", inputs: ["c", "s2", "e2", "a2", "t2"], outputs: ["y"])
        #expect(try Self.fieldAfterStridedConv(reversed, weights: ["s2": Self.i64([-1]), "e2": Self.i64([-100]), "a2": Self.i64([3]), "t2": Self.i64([-1])]) == .notSpatial)
    }

    /// Pad 2 rows before and 1 column before the stride-2 convolution's maps: units start 2 and 1 conv units
    /// earlier, so the padding grows by 2·2 and 1·2. Attributes (opset 10) and inputs (opset 18, with axes) agree.
    @Test func padOverHeightAndWidthMovesTheField() throws {
        let want = LayerField.spatial(ReceptiveField(size: Pair(3, 3), jump: Pair(2, 2), padding: Pair(4, 2)))
        let old = GraphNode(op: "Pad", inputs: ["c"], outputs: ["y"], attributes: ["pads": .ints([0, 0, 2, 1, 0, 0, 0, 3])])
        #expect(try Self.fieldAfterStridedConv(old, opset: 10) == want)
        let new = GraphNode(op: "Pad", inputs: ["c", "p", "", "a"], outputs: ["y"], attributes: ["mode": .string("reflect")])
        #expect(try Self.fieldAfterStridedConv(new, weights: ["p": Self.i64([1, 2, 1, 0]), "a": Self.i64([3, 2])], opset: 18) == want)
    }

    /// SpaceToDepth with blocksize 2: a 2×2 window with stride 2 on the conv's units, size 3 + 1·2 = 5,
    /// jump 4. DepthToSpace: the field repeats over each block of b cells, which no u·S − P describes.
    /// Split of the channels keeps the conv's field; split of W gives parts that start apart.
    @Test func depthSpaceAndSplitFields() throws {
        let s2d = GraphNode(op: "SpaceToDepth", inputs: ["c"], outputs: ["y"], attributes: ["blocksize": .int(2)])
        // 17×17 → conv 8×8 → 4×4.
        #expect(try Self.fieldAfterStridedConv(s2d) == .spatial(ReceptiveField(size: Pair(5, 5), jump: Pair(4, 4), padding: Pair(0, 0))))
        let d2s = GraphNode(op: "DepthToSpace", inputs: ["c"], outputs: ["y"], attributes: ["blocksize": .int(2)])
        #expect(try Self.fieldAfterStridedConv(d2s) == .notAligned)
        let channels = GraphNode(op: "Split", inputs: ["c"], outputs: ["y", "z"], attributes: ["axis": .int(1), "split": .ints([1, 3])])
        #expect(try Self.fieldAfterStridedConv(channels, opset: 11) == .spatial(ReceptiveField(size: Pair(3, 3), jump: Pair(2, 2), padding: Pair(0, 0))))
        let width = GraphNode(op: "Split", inputs: ["c"], outputs: ["y", "z"], attributes: ["axis": .int(3)])
        #expect(try Self.fieldAfterStridedConv(width, opset: 13) == .notAligned)
    }

    // MARK: backward

    /// For a linear map f, ⟨g, f(x)⟩ = ⟨fᵀ(g), x⟩ for every x and g: the backward pass is f's transpose.
    static func checkAdjoint(_ node: GraphNode, shape: [Int], constants: [Tensor?] = [], opset: Int = 13) throws {
        var seed: UInt32 = 11
        func next() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
        let unit = try #require(OperatorRegistry.unit(for: node.op, opset: opset))
        let x = Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in next() })
        let y = try unit.forward(node, OperatorInputs(values: [x as Tensor?] + constants, opset: opset))[0]
        let g = (0..<y.count).map { _ in next() }
        var context = BackwardContext(label: node.op, inputs: [x as Tensor?] + constants, carriesGradient: [true] + constants.map { _ in false },
                                      output: y, gradient: g)
        try unit.backward(node, &context)
        let dx = try #require(context.inputGradients[0])
        let lhs = zip(g, y.storage).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(dx, x.storage).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        #expect(dx.count == x.count)
        #expect(abs(lhs - rhs) < 1e-4, "\(node.op): ⟨g, f(x)⟩ = \(lhs), ⟨fᵀg, x⟩ = \(rhs)")
    }

    @Test func backwardIsTheTranspose() throws {
        let shape = [1, 4, 5, 6]
        try Self.checkAdjoint(GraphNode(op: "Slice", inputs: ["x", "s", "e", "a", "t"], outputs: ["y"]), shape: shape,
                              constants: [Self.i64([4, 1]), Self.i64([-100, 6]), Self.i64([2, 3]), Self.i64([-2, 2])])
        for mode in ["constant", "reflect", "edge", "wrap"] {
            try Self.checkAdjoint(GraphNode(op: "Pad", inputs: ["x", "p"], outputs: ["y"], attributes: ["mode": .string(mode)]), shape: shape,
                                  constants: [Self.i64([0, 0, 3, 1, 0, 0, 2, 4])], opset: 19)
        }
        try Self.checkAdjoint(GraphNode(op: "Pad", inputs: ["x", "p"], outputs: ["y"]), shape: shape, constants: [Self.i64([0, 1, -1, 2, 0, 0, 1, -3])])
        try Self.checkAdjoint(GraphNode(op: "Gather", inputs: ["x", "i"], outputs: ["y"], attributes: ["axis": .int(1)]), shape: shape,
                              constants: [Self.i64([3, -1, 0])])
        try Self.checkAdjoint(GraphNode(op: "Expand", inputs: ["x", "s"], outputs: ["y"]), shape: [1, 4, 1, 6], constants: [Self.i64([2, 1, 3, 1])])
        try Self.checkAdjoint(GraphNode(op: "Tile", inputs: ["x", "r"], outputs: ["y"]), shape: shape, constants: [Self.i64([1, 2, 2, 1])])
        for mode in ["DCR", "CRD"] {
            try Self.checkAdjoint(GraphNode(op: "DepthToSpace", inputs: ["x"], outputs: ["y"], attributes: ["blocksize": .int(2), "mode": .string(mode)]),
                                  shape: [2, 8, 3, 2])
        }
        try Self.checkAdjoint(GraphNode(op: "SpaceToDepth", inputs: ["x"], outputs: ["y"], attributes: ["blocksize": .int(2)]), shape: [1, 2, 4, 6])
        try Self.checkAdjoint(GraphNode(op: "Unsqueeze", inputs: ["x", "a"], outputs: ["y"]), shape: shape, constants: [Self.i64([0])])
    }

    /// rf --effective through Pad and Slice: 6×6 input padded by 1 (constant zeros) to 8×8, then rows
    /// 2, 4, 6 and all columns. Unit (1, 3) is padded cell (4, 3) = input (3, 2): a gradient of 1 there and
    /// nowhere else. Unit (0, 0) is padded cell (2, 0), in the padding: no gradient. With reflect padding
    /// padded cell (2, 0) is input (1, 1).
    @Test func effectiveFieldThroughPadAndSlice() throws {
        for (mode, unit, pixel) in [("constant", MapUnit(channel: 0, y: 1, x: 3), 3 * 6 + 2), ("constant", MapUnit(channel: 0, y: 0, x: 0), nil),
                                    ("reflect", MapUnit(channel: 0, y: 0, x: 0), 1 * 6 + 1)] as [(String, MapUnit, Int?)] {
            let pad = GraphNode(op: "Pad", inputs: ["x", "p"], outputs: ["padded"], attributes: ["mode": .string(mode)])
            let slice = GraphNode(op: "Slice", inputs: ["padded", "s", "e", "a", "t"], outputs: ["y"])
            let g = try Graph(nodes: [pad, slice], weights: ["p": Self.i64([0, 0, 1, 1, 0, 0, 1, 1]), "s": Self.i64([2]), "e": Self.i64([7]),
                                                             "a": Self.i64([2]), "t": Self.i64([2])],
                              inputName: "x", inputShape: [1, 1, 6, 6], outputs: ["y"], opset: 13, file: "test")
            let grad = try g.inputGradient(of: unit, atNode: 1, input: Tensor(shape: [1, 6, 6], repeating: 1))
            for i in 0..<36 { #expect(grad.storage[i] == (i == pixel ? 1 : 0), "\(mode) pixel \(i)") }
        }
    }

    // MARK: versions and readers

    /// Split at opset 18 with num_outputs = 3 on 7 columns gives ⌈7/3⌉ = 3, 3 and 1; before 18 the same
    /// node has no way to say that, and 7 does not split into 3 equal parts.
    @Test func splitNumOutputsArrivedAtOpset18() throws {
        let node = GraphNode(op: "Split", inputs: ["x"], outputs: ["a", "b", "c"], attributes: ["axis": .int(-1), "num_outputs": .int(3)])
        let shapes = ShapeInputs(shapes: [[1, 2, 2, 7]], constants: [nil], opset: 18)
        #expect(try OperatorRegistry.unit(for: "Split", opset: 18)!.outputShapes(node, shapes).map { $0[3] } == [3, 3, 1])
        #expect(throws: EngineError.self) { try OperatorRegistry.unit(for: "Split", opset: 17)!.outputShapes(node, shapes) }
    }

    /// Cast by hand: −2.7 → −2 and 2.7 → 2 (toward zero), 0.5 → 0; to bool, x ≠ 0; to float16, 1000.123 → 1000.
    @Test func castTruncatesTowardZero() throws {
        let unit = try #require(OperatorRegistry.unit(for: "Cast", opset: 13))
        let x = Tensor(shape: [4], storage: [-2.7, 2.7, 0.5, 0])
        func cast(_ to: Int, _ x: Tensor) throws -> [Float] {
            try unit.forward(GraphNode(op: "Cast", inputs: ["x"], outputs: ["y"], attributes: ["to": .int(to)]), OperatorInputs(values: [x], opset: 13))[0].storage
        }
        #expect(try cast(7, x) == [-2, 2, 0, 0])
        #expect(try cast(9, x) == [1, 1, 1, 0])
        #expect(try cast(10, Tensor(shape: [1], storage: [1000.123])) == [1000])
    }

    /// The ONNX reader widens int64 (typed, with INT64_MAX), bool (raw bytes), double and float16 tensors
    /// to float32, the values an initializer or a Constant carries.
    @Test func readerWidensIntegerBoolAndFloatTypes() throws {
        var t = Onnx_TensorProto()
        t.dims = [3]; t.dataType = 7; t.int64Data = [-5, 7, Int64.max]
        let ints = try ONNXReader.tensor(from: t, file: "test")
        #expect(ints.storage.map(Int.init(saturating:)) == [-5, 7, Int.max])
        t = Onnx_TensorProto(); t.dims = [2, 2]; t.dataType = 9; t.rawData = Data([1, 0, 0, 1])
        #expect(try ONNXReader.tensor(from: t, file: "test").storage == [1, 0, 0, 1])
        t = Onnx_TensorProto(); t.dims = [2]; t.dataType = 11; t.doubleData = [0.25, -3]
        #expect(try ONNXReader.tensor(from: t, file: "test").storage == [0.25, -3])
        t = Onnx_TensorProto(); t.dims = [1]; t.dataType = 10; t.rawData = Data([0x00, 0x3C])
        #expect(try ONNXReader.tensor(from: t, file: "test").storage == [1])
        t = Onnx_TensorProto(); t.dims = [2]; t.dataType = 6; t.rawData = Data([0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0])
        #expect(try ONNXReader.tensor(from: t, file: "test").storage == [-1, 2])
    }
}
