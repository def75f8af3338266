import Foundation
import Testing
@testable import FeatMapKit

/// The operator registry: versioned semantics, roles in the default selection and generated names.
/// Expected values are worked out by hand in each test.
@Suite struct OperatorRegistryTests {
    static func graph(_ nodes: [GraphNode], weights: [String: Tensor] = [:], shape: [Int], opset: Int) throws -> Graph {
        try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: shape, outputs: [nodes.last!.outputs[0]],
                  opset: opset, file: "test")
    }

    /// Softmax before opset 13 flattens [1, 2, 2] from axis 1 into one row of 4; from 13 it runs along
    /// the last axis only. x = [0, ln 3 / 0, ln 3]: flattened, e^x = 1, 3, 1, 3 over 8; per row, over 4.
    @Test func softmaxChangedMeaningAtOpset13() throws {
        let l3 = Float(log(3.0))
        let x = Tensor(shape: [1, 2, 2], storage: [0, l3, 0, l3])
        let node = GraphNode(op: "Softmax", inputs: ["x"], outputs: ["y"])
        let old = try #require(try Self.graph([node], shape: [1, 2, 2], opset: 12).forward(x).output)
        let new = try #require(try Self.graph([node], shape: [1, 2, 2], opset: 13).forward(x).output)
        for (got, want) in zip(old.storage, [0.125, 0.375, 0.125, 0.375] as [Float]) { #expect(abs(got - want) < 1e-6) }
        for (got, want) in zip(new.storage, [0.25, 0.75, 0.25, 0.75] as [Float]) { #expect(abs(got - want) < 1e-6) }
    }

    /// Clip reads its bounds from attributes before opset 11 and from inputs from 11 on: the same node
    /// with both gives [−1, 0.5, 1] → attributes (−0.5, 0.5) clip to [−0.5, 0.5, 0.5], inputs (−1, 0) to [−1, 0, 0].
    @Test func clipBoundsFollowTheOpset() throws {
        let x = Tensor(shape: [3], storage: [-1, 0.5, 1])
        let node = GraphNode(op: "Clip", inputs: ["x", "lo", "hi"], outputs: ["y"], attributes: ["min": .float(-0.5), "max": .float(0.5)])
        let bounds = ["lo": Tensor(shape: [], storage: [-1]), "hi": Tensor(shape: [], storage: [0])]
        #expect(try Self.graph([node], weights: bounds, shape: [3], opset: 7).forward(x).output?.storage == [-0.5, 0.5, 0.5])
        #expect(try Self.graph([node], weights: bounds, shape: [3], opset: 11).forward(x).output?.storage == [-1, 0, 0])
    }

    /// Conv → BatchNormalization → Relu → Add (a residual sum) → GlobalAveragePool → Flatten → Gemm:
    /// every node up to the pooling is a feature-map layer; Flatten ends the default selection.
    @Test func defaultSelectionFollowsEachUnitsRole() throws {
        let one = Tensor(shape: [1, 1, 1, 1], storage: [1]), c1 = Tensor(shape: [1], storage: [1])
        // Numeric value names, as PyTorch writes them, so that layer names are generated.
        let nodes = [
            GraphNode(op: "Conv", inputs: ["x", "w"], outputs: ["1"]),
            GraphNode(op: "BatchNormalization", inputs: ["1", "s", "b", "m", "v"], outputs: ["2"]),
            GraphNode(op: "Relu", inputs: ["2"], outputs: ["3"]),
            GraphNode(op: "Add", inputs: ["3", "x"], outputs: ["4"]),
            GraphNode(op: "GlobalAveragePool", inputs: ["4"], outputs: ["5"]),
            GraphNode(op: "Flatten", inputs: ["5"], outputs: ["6"]),
            GraphNode(op: "Gemm", inputs: ["6", "fw"], outputs: ["7"], attributes: ["transB": .int(1)]),
            GraphNode(op: "Relu", inputs: ["7"], outputs: ["8"]),
        ]
        let g = try Self.graph(nodes, weights: ["w": one, "s": c1, "b": c1, "m": c1, "v": c1, "fw": Tensor(shape: [1, 1], storage: [2])],
                               shape: [1, 1, 3, 3], opset: 13)
        #expect(g.defaultLayerIndices == [0, 1, 2, 3, 4])
        #expect(g.layerNames == ["conv1", "bn1", "relu1", "add1", "pool1", "flatten1", "fc1", "relu2"])
        // The Gemm's parameters are its 1×1 weight; the Conv's its 1 weight.
        #expect(g.parameterCount(ofNode: 6) == 1 && g.parameterCount(ofNode: 0) == 1)
        #expect(g.isConvolution(0) && !g.isConvolution(1) && g.isConcatenation(0) == false)
    }

    /// An operator featmap does not implement stops the pass at that node with its name and type,
    /// and every registered type resolves at opset 21 (HardSwish, Mish, Gelu and GroupNormalization
    /// only exist from opsets 14, 18, 20 and 18).
    @Test func unknownOperatorsStopThePass() throws {
        // GRU: of the recurrent operators only LSTM is implemented (for trained OCR recognisers).
        let g = try Self.graph([GraphNode(op: "Relu", inputs: ["x"], outputs: ["r"]), GraphNode(op: "GRU", name: "rnn", inputs: ["r"], outputs: ["y"])],
                               shape: [1, 1, 2, 2], opset: 13)
        let result = g.forward(Tensor(shape: [1, 2, 2], storage: [1, -1, 2, -2]))
        #expect(result.stoppedBy == .unsupportedOperator(node: "rnn", op: "GRU"))
        #expect(result.nodesRun == 1)
        for op in OperatorRegistry.operatorTypes { #expect(OperatorRegistry.unit(for: op, opset: 21) != nil, "\(op)") }
    }
}

/// The README's list of supported operators is the registry's.
@Suite struct OperatorListTests {
    @Test func readmeListsTheRegistrysOperators() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- operators -->")), end = try #require(text.range(of: "<!-- /operators -->"))
        let listed = text[start.upperBound..<end.lowerBound].split(whereSeparator: { ", \n".contains($0) }).map(String.init).sorted()
        #expect(listed == OperatorRegistry.operatorTypes)
    }
}
