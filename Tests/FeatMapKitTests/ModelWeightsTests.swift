import Foundation
import Testing
@testable import FeatMapKit

/// featmap's `.weights` (safetensors + metadata): the documented recipe, bare state dicts with
/// an architecture file, conversion, and damaged files.
@Suite struct ModelWeightsTests {
    /// LeNet's node outputs in the recipe's architecture → the ONNX export's tensor names that
    /// onnxruntime's reference uses (Tests/scripts/model_fixtures.py).
    static let referenceNames = ["conv1": "11", "relu1": "12", "pool1": "13", "conv2": "14", "relu2": "15", "pool2": "16",
                                 "flatten": "18", "fc1": "19", "relu3": "20", "fc2": "21", "relu4": "22", "fc3": "23",
                                 "probabilities": "output_0"]

    @Test func recipeFileMatchesOnnxruntime() throws {
        // Written with safetensors.numpy.save_file(state_dict, path, metadata=…) by
        // Tests/scripts/make_weights_fixture.py, as docs/weights-format.md tells PyTorch users to.
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet-recipe.weights"))
        #expect(model.preprocessing == Preprocessing(width: 28, height: 28, color: .grey, fit: .digit, range: [0, 1],
                                                     mean: [0.1307], std: [0.3081]))
        #expect(model.className(7) == "seven")
        #expect(model.className(12) == "12")
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let input = try #require(ref.tensors["input"])
        let result = model.graph.forward(input.reshaped([1, 28, 28]), keep: { _ in true })
        #expect(result.stoppedBy == nil)
        #expect(result.layers.count == 13)
        for layer in result.layers {
            let name = try #require(Self.referenceNames[layer.name])
            let expected = try #require(ref.tensors[name])
            #expect(layer.output.shape == expected.shape, "\(layer.name)")
            #expect(ModelFixtures.relativeError(layer.output.storage, expected.storage) <= 1e-4, "\(layer.name)")
        }
    }

    @Test func bareStateDictWithArchitectureFile() throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet-state-dict.safetensors"),
                                   architecture: ModelFixtures.url("lenet-arch.json"))
        #expect(model.preprocessing.mean == [0.1307])
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let input = try #require(ref.tensors["input"]), expected = try #require(ref.tensors["output_0"])
        let output = try #require(model.graph.forward(input).output)
        #expect(ModelFixtures.relativeError(output.storage, expected.storage) <= 1e-4)
        // Without the architecture, the error says what to add.
        #expect {
            try Model.load(contentsOf: ModelFixtures.url("lenet-state-dict.safetensors"))
        } throws: { error in
            "\(error)".contains("--arch")
        }
    }

    @Test func conversionKeepsGraphWeightsAndHalfPrecision() throws {
        let onnx = try Model.load(contentsOf: ModelFixtures.url("squeezenet-fire3.onnx"))
        let cut = try onnx.graph.truncated(after: try onnx.graph.nodeIndex(named: "pool1_1"))
        #expect(cut.nodes.count == 3)
        #expect(Set(cut.weights.keys) == ["conv1_w_0", "conv1_b_0"])
        var model = onnx
        model.graph = cut
        model.preprocessing.range = [0, 255]
        let bytes = try WeightsFile.serialized(model)
        // 64·3·3·3 + 64 float16 values = 3584 bytes of tensor data after the header.
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(bytes.count - 8 - headerLength == 3584)
        let back = try WeightsFile.read(bytes, file: "converted.weights", name: "converted")
        #expect(back.graph.nodes == cut.nodes)
        #expect(back.graph.layerNames == ["conv1_1", "conv1_2", "pool1_1"])
        #expect(back.graph.weightTypes["conv1_w_0"] == "F16")
        #expect(back.graph.weights["conv1_w_0"] == cut.weights["conv1_w_0"])
        #expect(back.preprocessing.range == [0, 255])
        #expect(back.graph.outputs == ["pool1_1"])
    }

    static func file(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        var out = Data()
        var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    @Test func damagedSafetensorsGiveClearErrors() throws {
        let four = [UInt8](repeating: 0, count: 16)
        #expect(throws: ModelError.corruptWeights(file: "f", reason: "the file is 3 bytes, shorter than the 8-byte header length")) {
            try SafeTensors(Data([1, 2, 3]), file: "f")
        }
        let past = Self.file("{}", declaredLength: 4096)
        #expect { try SafeTensors(past, file: "f") } throws: { "\($0)".contains("runs past the end") }
        let mismatch = Self.file(#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#, data: four)
        #expect { try SafeTensors(mismatch, file: "f") } throws: { "\($0)".contains("has 16 bytes but shape [2, 3] of F32 needs 24") }
        let outside = Self.file(#"{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#, data: four)
        #expect { try SafeTensors(outside, file: "f") } throws: { "\($0)".contains("outside the 16 bytes") }
        let notJSON = Self.file("{nope", data: four)
        #expect { try SafeTensors(notJSON, file: "f") } throws: { "\($0)".contains("JSON header does not parse") }
        let badMeta = Self.file(#"{"__metadata__":{"a":1}}"#)
        #expect { try SafeTensors(badMeta, file: "f") } throws: { "\($0)".contains("not a string") }
    }

    @Test func missingTensorIsNamed() throws {
        let arch = #"{"input":{"name":"x","shape":[1,1,4,4]},"outputs":["y"],"nodes":[{"op":"Conv","inputs":["x","w","b"],"outputs":["y"]}]}"#
        let escaped = arch.replacingOccurrences(of: "\"", with: "\\\"")
        let data = Self.file(#"{"__metadata__":{"featmap.architecture":"\#(escaped)"},"w":{"dtype":"F32","shape":[1,1,1,1],"data_offsets":[0,4]}}"#,
                             data: [0, 0, 128, 63])
        #expect(throws: ModelError.missingTensor(file: "m.weights", tensor: "b", node: "Conv #1")) {
            try WeightsFile.read(data, file: "m.weights", name: "m")
        }
    }

    @Test func halfPrecisionBitPatterns() {
        // IEEE 754 binary16 by hand: 1 = 0x3C00, −2 = 0xC000, the largest 65504 = 0x7BFF,
        // the smallest subnormal 2^−24 = 0x0001, +∞ = 0x7C00.
        #expect(HalfPrecision.float(fromBits: 0x3C00) == 1)
        #expect(HalfPrecision.float(fromBits: 0xC000) == -2)
        #expect(HalfPrecision.float(fromBits: 0x7BFF) == 65504)
        #expect(HalfPrecision.float(fromBits: 0x0001) == 0x1p-24)
        #expect(HalfPrecision.float(fromBits: 0x7C00) == .infinity)
        #expect(HalfPrecision.float(fromBits: 0x7E00).isNaN)
        // Every finite pattern survives widening and narrowing.
        for bits in UInt16(0)...UInt16.max where (bits & 0x7C00) != 0x7C00 {
            #expect(HalfPrecision.bits(from: HalfPrecision.float(fromBits: bits)) == bits)
        }
        // Ties round to even: 1 + 2^−11 lies halfway between 1 and 1 + 2^−10.
        #expect(HalfPrecision.bits(from: 1 + 0x1p-11) == 0x3C00)
        #expect(HalfPrecision.bits(from: 1 + 3 * 0x1p-11) == 0x3C02)
        #expect(HalfPrecision.bits(from: 1e6) == 0x7C00)
    }
}
