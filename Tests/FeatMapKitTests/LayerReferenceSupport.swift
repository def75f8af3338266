import Foundation
import Testing
@testable import FeatMapKit

/// The deterministic pseudo-random weights that Tests/scripts/zoo_fixtures.py gives the zoo's light
/// models in place of their ConstantOfShape fills (and torchvision_fixtures.py the torchvision
/// exports): the same integer hashing and float multiply-add, so that both sides hold the same bits.
enum ZooWeights {
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// count values in [−1, 1): splitmix64 of hash(name) + i·golden, its top 24 bits over 2^23, minus 1.
    static func uniform(_ name: String, _ count: Int) -> [Float] {
        let seed = fnv1a(name)
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<count {
                var z = seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                buffer[i] = Float(z >> 40) / 8_388_608 - 1
            }
        }
        return out
    }

    /// The scale and offset of a filled tensor, from its first reader (see zoo_values in zoo_fixtures.py).
    static func values(_ name: String, shape: [Int], graph: Graph) -> [Float] {
        let count = shape.reduce(1, *)
        var (a, b): (Float, Float) = (0.05, 0)
        if let node = graph.nodes.first(where: { $0.inputs.contains(name) }), let k = node.inputs.firstIndex(of: name) {
            switch node.op {
            case "BatchNormalization":
                (a, b) = [1: (0.2, 1.0), 2: (0.1, 0.0), 3: (0.1, 0.0), 4: (0.5, 1.0)][k] ?? (0.1, 0)
            case "LayerNormalization":
                (a, b) = [1: (0.2, 1.0), 2: (0.1, 0.0)][k] ?? (0.1, 0)
            // (A `where` clause binds to the last pattern of a case only, so each pattern carries its own.)
            case "Conv" where k == 1 && shape.count >= 2, "Gemm" where k == 1 && shape.count >= 2,
                 "MatMul" where k == 1 && shape.count >= 2:
                let fanIn = switch node.op {
                case "Gemm": node.int("transB", default: 0) != 0 ? shape[1] : shape[0]
                case "MatMul": shape[shape.count - 2]
                default: shape.dropFirst().reduce(1, *)
                }
                (a, b) = (Float((6.0 / Double(fanIn)).squareRoot()), 0)
            case "Mul": (a, b) = (0.2, 1)
            default: break
            }
        }
        var u = uniform(name, count)
        for i in u.indices { u[i] = u[i] * a + b }
        return u
    }
}

/// Whole models against onnxruntime, layer by layer: the fixtures of zoo_fixtures.py and
/// torchvision_fixtures.py hold, for every node output, its min, mean, max and L2 and 64 samples at
/// flat indices i·(n − 1) ÷ 63, and the model's final output complete.
enum LayerReference {
    /// The model with its filled tensors (the reference's `filled` metadata) given ZooWeights' values,
    /// and the reference.
    static func model(_ onnx: URL, reference: URL) throws -> (Model, SafeTensors) {
        var model = try Model.load(contentsOf: onnx)
        let ref = try SafeTensors(Data(contentsOf: reference), file: reference.lastPathComponent)
        for filled in (ref.metadata["filled"] ?? "").split(separator: ",").map(String.init) {
            guard let w = model.graph.weights[filled] else { Issue.record("\(onnx.lastPathComponent): no tensor \(filled)"); continue }
            model.graph.weights[filled] = Tensor(shape: w.shape, storage: ZooWeights.values(filled, shape: w.shape, graph: model.graph))
        }
        return (model, ref)
    }

    /// Runs the model on the reference's `input` (its shape from the fixture) and compares every layer
    /// at 1e-4 of its largest magnitude, and the final output; the graph must have no unsupported operator.
    static func compareEveryLayer(_ name: String, model: Model, ref: SafeTensors) throws {
        let input = try #require(ref.tensors["input"])
        let g = model.graph
        #expect(g.unsupportedOperators.isEmpty, "\(name): \(g.unsupportedOperators.map(\.op))")
        let prepared = try g.prepared(inputShape: input.shape)
        #expect(prepared.failure == nil, "\(name): \(prepared.failure.map { "\($0.error)" } ?? "")")
        // Each layer is compared as soon as it is computed and then dropped (DenseNet has 910 of them).
        var compared = 0
        let result = g.forward(input.reshaped(Array(input.shape.dropFirst())), prepared: prepared) { layer in
            let value = g.nodes[layer.index].outputs[0]
            guard let stats = ref.tensors["\(value)/stats"]?.storage, let samples = ref.tensors["\(value)/samples"]?.storage else {
                Issue.record("\(name): no reference for \(value)"); return
            }
            let v = layer.output.storage
            let scale = max(abs(stats[0]), abs(stats[2]), 1e-6)
            let n = v.count, k = min(n, 64)
            #expect(samples.count == k, "\(name) \(layer.name): \(n) values, \(samples.count) samples")
            var worst: Float = 0
            for i in 0..<min(k, samples.count) {
                let at = k <= 1 ? 0 : i * (n - 1) / (k - 1)
                worst = max(worst, abs(v[at] - samples[i]))
            }
            #expect(worst <= 1e-4 * scale, "\(name) \(layer.name) (\(layer.op)): samples differ by \(worst) of \(scale)")
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(max(1, n))
            let l2 = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(Float(mean) - stats[1]) <= 1e-4 * scale, "\(name) \(layer.name): mean \(mean) vs \(stats[1])")
            #expect(abs(Float(l2) - stats[3]) <= 1e-4 * max(stats[3], 1e-6), "\(name) \(layer.name): L2 \(l2) vs \(stats[3])")
            #expect(abs((v.min() ?? 0) - stats[0]) <= 1e-4 * scale && abs((v.max() ?? 0) - stats[2]) <= 1e-4 * scale,
                    "\(name) \(layer.name): range")
            compared += 1
        }
        #expect(result.stoppedBy == nil, "\(name): \(result.stoppedBy.map { "\($0)" } ?? "")")
        #expect(compared == g.nodes.count - prepared.foldedNodes.count,
                "\(name): \(compared) of \(g.nodes.count - prepared.foldedNodes.count) layers compared")
        let output = try #require(result.output?.storage)
        let expected = try #require(ref.tensors["output"]?.storage)
        #expect(output.count == expected.count)
        let largest = expected.map(abs).max() ?? 1
        let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-4 * max(largest, 1e-6), "\(name): outputs differ by \(worst)")
        #expect(output.firstIndex(of: output.max()!) == expected.firstIndex(of: expected.max()!))
    }
}
