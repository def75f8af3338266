import Foundation
import Testing
@testable import FeatMapKit

/// The fused inference pass (`Graph.forwardFused`: Conv with its activation in one pass, Concat
/// branches written in place) against the pass that keeps every layer, and against onnxruntime.
/// With the channels-last Convs off, fusion must not change a single bit on these graphs (no residual
/// Add): the same operations run on the same floats. With them on (the default: oneDNN's primitives,
/// which sum in their own order) the outputs are within 1e-5 of the largest value of the plain pass's
/// (the small-integer graphs below are exact either way). Residual folding is checked within a
/// tolerance in TorchvisionModelTests.
@Suite struct ModelFusionTests {
    @Test func squeezeNetFusedEqualsEveryLayerPassAndOnnxruntime() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("squeezenet-fire3.onnx"))
        let g = model.graph
        let plan = FusionPlan(g, end: g.nodes.count - 1)
        // conv1 and the squeeze and two expand convolutions of fire2 and fire3 take their ReLU.
        #expect(plan.activation.count == 7)
        #expect(plan.activation.allSatisfy { g.nodes[$0.key].op == "Conv" && g.nodes[$0.value].op == "Relu" })
        // Both expand branches of each Fire module write into its Concat: expand1x1 at channel 0, expand3x3 at 64.
        let slots = plan.slot.map { (g.layerNames[$0.key], g.layerNames[$0.value.concat], $0.value.channel) }
            .sorted { $0.0 < $1.0 }
        #expect(slots.map(\.0) == ["fire2/expand1x1_1", "fire2/expand3x3_1", "fire3/expand1x1_1", "fire3/expand3x3_1"])
        #expect(slots.map(\.2) == [0, 64, 0, 64])
        #expect(plan.concatChannels.values.sorted() == [128, 128])

        let ref = try ModelFixtures.safetensors("squeezenet-reference.safetensors")
        let input = try #require(ref.tensors["input"]).reshaped([3, 64, 64])
        let fused = g.forwardFused(input, plan: FusionPlan(g, end: g.nodes.count - 1, channelsLast: false))
        let plain = g.forward(input)
        #expect(fused.stoppedBy == nil && plain.stoppedBy == nil)
        let a = try #require(fused.output), b = try #require(plain.output)
        #expect(a.shape == [1, 128, 15, 15])
        let identical = a == b  // (not inside #expect, which would print 28,800 values on failure)
        #expect(identical)
        let last = try #require(g.forwardFused(input).output)
        #expect(last.shape == a.shape)
        #expect(ModelFixtures.relativeError(last.storage, b.storage) <= 1e-5)
        // Both against onnxruntime's sampled values of fire3/concat_1.
        let index = try #require(ref.tensors["fire3/concat_1.index"]).storage.map { Int($0) }
        let values = try #require(ref.tensors["fire3/concat_1.values"]).storage
        let scale = try #require(ref.tensors["fire3/concat_1.stats"]).storage[3]
        for output in [a, last] {
            let err = zip(index.map { output.storage[$0] }, values).map { abs($0 - $1) }.max()! / scale
            #expect(err <= 1e-4)
        }
    }

    @Test func lenetFusedEqualsEveryLayerPass() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let input = try #require(ref.tensors["input"]).reshaped([1, 28, 28])
        #expect(FusionPlan(model.graph, end: model.graph.nodes.count - 1).activation.count == 2)
        let g = model.graph
        let fused = try #require(g.forwardFused(input, plan: FusionPlan(g, end: g.nodes.count - 1, channelsLast: false)).output)
        let plain = try #require(g.forward(input).output)
        #expect(fused == plain)
        let last = try #require(g.forwardFused(input).output)
        #expect(last.shape == plain.shape && ModelFixtures.relativeError(last.storage, plain.storage) <= 1e-5)
    }

    @Test(arguments: ModelReferenceTests.opCases)
    func operatorFusedEqualsEveryLayerPass(_ name: String) throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("ops/\(name).onnx"))
        let ref = try ModelFixtures.safetensors("ops-reference.safetensors")
        let input = try #require(ref.tensors["\(name).input"])
        let g = model.graph
        let fused = g.forwardFused(input, plan: FusionPlan(g, end: g.nodes.count - 1, channelsLast: false))
        #expect(fused.stoppedBy == nil, "\(String(describing: fused.stoppedBy))")
        let plain = try #require(g.forward(input).output)
        #expect(try #require(fused.output) == plain)
        let last = g.forwardFused(input)
        #expect(last.stoppedBy == nil, "\(String(describing: last.stoppedBy))")
        let output = try #require(last.output)
        #expect(output.shape == plain.shape && ModelFixtures.relativeError(output.storage, plain.storage) <= 1e-5)
    }

    static let one = Tensor(shape: [1, 1, 1, 1], repeating: 1)
    static let three = Tensor(shape: [1, 1, 3, 3], storage: [1, -2, 3, -4, 5, -6, 7, -8, 9])

    static func graph(_ nodes: [GraphNode], outputs: [String], weights: [String: Tensor] = [:]) throws -> Graph {
        try Graph(nodes: nodes, weights: ["one": one, "three": three].merging(weights) { $1 }, inputName: "x",
                  inputShape: [1, 1, 6, 6], outputs: outputs, opset: 13, file: "test")
    }

    static let ramp = Tensor(shape: [1, 6, 6], storage: (0..<36).map { Float($0 % 7) - 3 })

    /// Clip with its bounds as initializers (opset 11 on) folds into the Conv; a Conv whose output a
    /// second node also reads keeps its own tensor.
    @Test func clipFoldsAndSharedOutputsDoNot() throws {
        let g = try Self.graph([
            GraphNode(op: "Conv", name: "a", inputs: ["x", "three"], outputs: ["a"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            GraphNode(op: "Clip", name: "clip", inputs: ["a", "lo", "hi"], outputs: ["c"]),
            GraphNode(op: "Conv", name: "b", inputs: ["c", "three"], outputs: ["b"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            GraphNode(op: "Relu", name: "relu", inputs: ["b"], outputs: ["r"]),
            GraphNode(op: "Add", name: "sum", inputs: ["b", "r"], outputs: ["sum"]),
        ], outputs: ["sum"], weights: ["lo": Tensor(shape: [], storage: [-2]), "hi": Tensor(shape: [], storage: [5])])
        let plan = FusionPlan(g, end: g.nodes.count - 1)
        #expect(plan.activation == [0: 1])
        let fused = try #require(g.forwardFused(Self.ramp).output)
        #expect(fused == g.forward(Self.ramp).output)
        // By hand at (0, 0): the 3×3 window padded with zeros reads x[0..1][0..1] = −3, −2 / 3, −3 under
        // taps 5, −6 / −8, 9: −15 + 12 − 24 − 27 = −54, clipped to −2.
        #expect(g.forward(Self.ramp, keep: { $0 == 1 }).layers[0].output.storage[0] == -2)
    }

    /// Branches of different sizes cannot share a Concat buffer: the fused pass stops at the Concat with
    /// the same kind of message as the pass that keeps every layer.
    @Test func concatOfMismatchedBranchesFailsAtTheConcat() throws {
        let g = try Self.graph([
            GraphNode(op: "Conv", name: "same", inputs: ["x", "three"], outputs: ["s"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            GraphNode(op: "Conv", name: "valid", inputs: ["x", "three"], outputs: ["v"]),
            GraphNode(op: "Concat", name: "join", inputs: ["s", "v"], outputs: ["j"], attributes: ["axis": .int(1)]),
        ], outputs: ["j"])
        #expect(FusionPlan(g, end: 2).concatChannels == [2: 2])
        for result in [g.forwardFused(Self.ramp), g.forward(Self.ramp)] {
            #expect(result.output == nil)
            guard case .layerFailed(let node, let op, let reason)? = result.stoppedBy else {
                Issue.record("expected a layer failure, got \(String(describing: result.stoppedBy))"); continue
            }
            #expect(node == "join" && op == "Concat")
            #expect(reason.contains("cannot concatenate"), "\(reason)")
        }
    }

    /// Two 1×1 and 3×3 branches written into one Concat, then a Relu on it: equal to the plain pass.
    @Test func branchesWrittenInPlaceEqualThePlainConcat() throws {
        let g = try Self.graph([
            GraphNode(op: "Conv", name: "wide", inputs: ["x", "three"], outputs: ["w"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            GraphNode(op: "Relu", name: "wr", inputs: ["w"], outputs: ["wr"]),
            GraphNode(op: "Conv", name: "point", inputs: ["x", "one"], outputs: ["p"]),
            GraphNode(op: "Concat", name: "join", inputs: ["p", "wr"], outputs: ["j"], attributes: ["axis": .int(1)]),
            GraphNode(op: "Relu", name: "out", inputs: ["j"], outputs: ["o"]),
        ], outputs: ["o"])
        let plan = FusionPlan(g, end: 4)
        #expect(plan.slot[0]?.channel == 1 && plan.slot[2]?.channel == 0)
        let fused = try #require(g.forwardFused(Self.ramp).output)
        #expect(fused.shape == [1, 2, 6, 6])
        #expect(fused == g.forward(Self.ramp).output)
        // Channel 0 is the 1×1 branch (weight 1) after the final ReLU: max(x, 0).
        #expect(Array(fused.storage[0..<36]) == Self.ramp.storage.map { max($0, 0) })
    }
}
