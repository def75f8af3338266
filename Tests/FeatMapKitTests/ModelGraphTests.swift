import Foundation
import SwiftProtobuf
import Testing
@testable import FeatMapKit

@Suite struct ModelGraphTests {
    @Test func nodesInAnyOrderAreSortedAndCyclesRejected() throws {
        let lenet = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx")).graph
        let shuffled = try Graph(nodes: lenet.nodes.reversed(), weights: lenet.weights, inputName: lenet.inputName,
                                 inputShape: lenet.inputShape, outputs: lenet.outputs, opset: lenet.opset, file: "m")
        // Every node comes after the producers of its inputs, and the result is the same.
        var known: Set<String> = Set(lenet.weights.keys).union([lenet.inputName])
        for node in shuffled.nodes {
            #expect(node.inputs.allSatisfy(known.contains))
            known.formUnion(node.outputs)
        }
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let input = try #require(ref.tensors["input"])
        #expect(shuffled.forward(input).output == lenet.forward(input).output)
        let cycle = [GraphNode(op: "Relu", inputs: ["b"], outputs: ["a"]), GraphNode(op: "Relu", inputs: ["a"], outputs: ["b"])]
        #expect { try Graph(nodes: cycle, weights: [:], inputName: "x", inputShape: [1], outputs: ["b"], opset: 13, file: "m") }
            throws: { "\($0)".contains("cycle") }
    }

    @Test func namesAreMadeUniqueAndNumericNamesReplaced() throws {
        let nodes = [GraphNode(op: "Conv", name: "7", inputs: ["x", "w"], outputs: ["8"]),
                     GraphNode(op: "Relu", name: "block", inputs: ["8"], outputs: ["9"]),
                     GraphNode(op: "Relu", name: "block", inputs: ["9"], outputs: ["10"]),
                     GraphNode(op: "AveragePool", inputs: ["10"], outputs: ["avg"])]
        let g = try Graph(nodes: nodes, weights: ["w": Tensor(shape: [1, 1, 1, 1], storage: [2])], inputName: "x",
                          inputShape: [1, 1, 2, 2], outputs: ["avg"], opset: 13, file: "m")
        #expect(g.layerNames == ["conv1", "block", "block_2", "avg"])
        #expect(try g.nodeIndex(named: "relu2") == 2)
        #expect(try g.nodeIndex(named: "pool1") == 3)
    }

    @Test func aBatchOfTwoGivesEachItemsOwnResult() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let digit = try #require(ref.tensors["input"]).storage
        let zeros = [Float](repeating: 0, count: 784)
        let batch = model.graph.forward(Tensor(shape: [2, 1, 28, 28], storage: digit + zeros))
        let one = model.graph.forward(Tensor(shape: [1, 28, 28], storage: digit))
        let two = model.graph.forward(Tensor(shape: [1, 28, 28], storage: zeros))
        let out = try #require(batch.output)
        #expect(out.shape == [2, 10])
        let first = try #require(one.output).storage, second = try #require(two.output).storage
        #expect(ModelFixtures.relativeError(Array(out.storage[0..<10]), first) < 1e-5)
        #expect(ModelFixtures.relativeError(Array(out.storage[10..<20]), second) < 1e-5)
    }

    @Test func typedFieldInitializersAndConstants() throws {
        // A hand-built ONNX model: float32 weights in float_data, float16 in int32_data (bit
        // patterns 0x3800 = 0.5, 0xC000 = −2, 0x7BFF = 65504), opset 7 with initializers listed as inputs.
        var model = Onnx_ModelProto()
        model.irVersion = 3
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 7
        model.opsetImport = [opset]
        var graph = Onnx_GraphProto()
        var a = Onnx_TensorProto()
        a.name = "a"; a.dims = [3]; a.dataType = 1; a.floatData = [1, 2, 3]
        var b = Onnx_TensorProto()
        b.name = "b"; b.dims = [3]; b.dataType = 10; b.int32Data = [0x3800, 0xC000, 0x7BFF]
        graph.initializer = [a, b]
        func input(_ name: String) -> Onnx_ValueInfoProto { var v = Onnx_ValueInfoProto(); v.name = name; return v }
        graph.input = [input("a"), input("b"), input("x")]
        var n1 = Onnx_NodeProto()
        n1.opType = "Add"; n1.input = ["x", "a"]; n1.output = ["s"]
        var n2 = Onnx_NodeProto()
        n2.opType = "Mul"; n2.input = ["s", "b"]; n2.output = ["y"]
        graph.node = [n1, n2]
        var out = Onnx_ValueInfoProto()
        out.name = "y"
        graph.output = [out]
        model.graph = graph
        let data: Data = try model.serializedBytes()
        let loaded = try ONNXReader.read(data, file: "typed.onnx", name: "typed")
        #expect(loaded.graph.inputName == "x")
        #expect(loaded.graph.weights["b"]?.storage == [0.5, -2, 65504])
        let y = try #require(loaded.graph.forward(Tensor(shape: [3], storage: [1, 1, 1])).output)
        #expect(y.storage == [1, -6, 262016])     // (1 + a) · b by hand
    }

    @Test func broadcastingByHand() throws {
        // [2, 1] + [3] → [2, 3]: rows 10, 20 plus columns 1, 2, 3.
        let s = try Elementwise.add.applied(Tensor(shape: [2, 1], storage: [10, 20]), Tensor(shape: [3], storage: [1, 2, 3]))
        #expect(s.shape == [2, 3] && s.storage == [11, 12, 13, 21, 22, 23])
        #expect(throws: EngineError.self) { try Elementwise.multiply.applied(Tensor(shape: [2], repeating: 1), Tensor(shape: [3], repeating: 1)) }
        // 1×3×2 averaged with a 2×2 window, stride 1, ceil mode off: means of 1,2,4,5 / 2,3,5,6.
        let p = try Pooling(kind: .average, kernel: Pair(2, 2), stride: .one)
            .applied(to: Tensor(shape: [1, 2, 3], storage: [1, 2, 3, 4, 5, 6]))
        #expect(p.shape == [1, 1, 2] && p.storage == [3, 4])
    }
}
