import Foundation
import Testing
@testable import FeatMapKit

/// featmap's forward pass against onnxruntime. Fixtures come from Tests/scripts/model_fixtures.py:
/// onnxruntime ran each model with every node output exposed as a graph output.
enum ModelFixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/models/\(name)", withExtension: nil)!
    }
    static func safetensors(_ name: String) throws -> SafeTensors {
        let u = url(name)
        return try SafeTensors(try Data(contentsOf: u), file: u.path)
    }

    /// max |a − b| over the layer, relative to the reference's largest magnitude.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }
}

@Suite struct ModelReferenceTests {
    @Test func lenetEveryLayerMatchesOnnxruntime() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let input = try #require(ref.tensors["input"])
        // The export declares a batch of 10; one digit must still run.
        #expect(model.graph.inputShape == [10, 1, 28, 28])
        let result = model.graph.forward(input.reshaped([1, 28, 28]), keep: { _ in true })
        #expect(result.stoppedBy == nil)
        // The Constant node holding the Reshape's target was folded at load: not a layer.
        #expect(result.layers.count == model.graph.nodes.count)
        #expect(model.graph.nodes.count == 13)
        var compared = 0
        for layer in result.layers {
            let output = model.graph.nodes[layer.index].outputs[0]
            let expected = try #require(ref.tensors[output], "no reference for \(output)")
            #expect(layer.output.shape == expected.shape, "\(layer.name)")
            let err = ModelFixtures.relativeError(layer.output.storage, expected.storage)
            #expect(err <= 1e-4, "\(layer.name) (\(output)) differs by \(err) of its largest magnitude")
            compared += 1
        }
        #expect(compared == 13)
        let probabilities = try #require(result.output)
        // MNIST test digit #0 is a 7.
        #expect(probabilities.storage.firstIndex(of: probabilities.storage.max()!) == 7)
    }

    @Test func lenetLayerNamesAreReadable() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        // PyTorch wrote empty node names and numeric outputs: operator + index instead. The Constant node
        // holding the Reshape's target is folded at load into a weight: not a layer.
        #expect(model.graph.layerNames == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "reshape1",
                                           "fc1", "relu3", "fc2", "relu4", "fc3", "output_0"])
        #expect(model.graph.weights.count == 11)    // 5 layers' weights and biases, and the folded target shape
        // The generated name of the last node works too.
        #expect(try model.graph.nodeIndex(named: "softmax1") == 12)
        #expect(try model.graph.nodeIndex(named: "pool2") == 5)
        #expect(try model.graph.nodeIndex(named: "14") == 3)          // the output name
        #expect(model.graph.defaultLayerIndices == [0, 1, 2, 3, 4, 5])
        #expect(throws: ModelError.self) { try model.graph.nodeIndex(named: "conv9") }
        // Parameters: 6·1·5·5 + 6 and 120·400 + 120.
        #expect(model.graph.parameterCount(ofNode: 0) == 156)
        #expect(model.graph.parameterCount(ofNode: 7) == 48120)
    }

    @Test func squeezeNetThroughFire3MatchesOnnxruntime() throws {
        // float16 initializers, also listed as graph inputs, declared input 224×224 fed 64×64.
        let model = try Model.load(contentsOf: ModelFixtures.url("squeezenet-fire3.onnx"))
        #expect(model.graph.weightTypes["conv1_w_0"] == "F16")
        #expect(model.graph.inputName == "data_0")
        let ref = try ModelFixtures.safetensors("squeezenet-reference.safetensors")
        let input = try #require(ref.tensors["input"])
        let result = model.graph.forward(input.reshaped([3, 64, 64]), keep: { _ in true })
        #expect(result.stoppedBy == nil)
        #expect(result.layers.count == 17)
        for layer in result.layers {
            let output = model.graph.nodes[layer.index].outputs[0]
            let shape = try #require(ref.tensors["\(output).shape"]).storage.map { Int($0) }
            let index = try #require(ref.tensors["\(output).index"]).storage.map { Int($0) }
            let values = try #require(ref.tensors["\(output).values"]).storage
            let stats = try #require(ref.tensors["\(output).stats"]).storage
            #expect(layer.output.shape == shape, "\(layer.name)")
            let scale = stats[3]
            let sampled = index.map { layer.output.storage[$0] }
            let err = zip(sampled, values).map { abs($0 - $1) }.max()! / scale
            #expect(err <= 1e-4, "\(layer.name) differs by \(err) of its largest magnitude")
            #expect(abs(layer.output.minimum - stats[0]) <= 1e-4 * scale, "\(layer.name) min")
            #expect(abs(layer.output.mean - stats[1]) <= 1e-4 * scale, "\(layer.name) mean")
            #expect(abs(layer.output.maximum - stats[2]) <= 1e-4 * scale, "\(layer.name) max")
        }
        #expect(model.graph.layerNames.first == "conv1_1")
        #expect(model.graph.layerNames.last == "fire3/concat_1")
    }

    static let opCases = [
        "conv_same_upper", "conv_same_lower", "conv_pads_dilation", "conv_groups", "conv_depthwise", "maxpool_ceil",
        "maxpool_pads", "avgpool_include_pad", "avgpool_exclude_pad", "global_average_pool", "batch_normalization",
        "add_channel_bias", "mul_last_axis", "activations", "clip_inputs", "clip_attributes", "flatten_gemm",
        "gemm_transpose_a", "matmul", "transpose_reshape", "softmax_opset13", "softmax_opset11", "concat_dropout_constant",
    ]

    @Test(arguments: opCases)
    func operatorMatchesOnnxruntime(_ name: String) throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("ops/\(name).onnx"))
        let ref = try ModelFixtures.safetensors("ops-reference.safetensors")
        let input = try #require(ref.tensors["\(name).input"]), expected = try #require(ref.tensors["\(name).output"])
        let result = model.graph.forward(input)
        #expect(result.stoppedBy == nil, "\(String(describing: result.stoppedBy))")
        let output = try #require(result.output)
        #expect(output.shape == expected.shape)
        #expect(ModelFixtures.relativeError(output.storage, expected.storage) <= 1e-5)
    }
}
