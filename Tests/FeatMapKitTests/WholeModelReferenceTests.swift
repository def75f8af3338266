import CZlib
import Foundation
import Testing
@testable import FeatMapKit

/// Whole networks against onnxruntime: every layer of SqueezeNet 1.1 at its real input size, and
/// LeNet-5's predictions on the first 1,000 MNIST test digits. Fixtures come from
/// Tests/scripts/whole_model_fixtures.py, which ran onnxruntime (float32, CPU) on the shared ONNX
/// models with every node output exposed as a graph output; see Fixtures/models/README.md and
/// Fixtures/mnist/README.md.
enum WholeModelFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The whole SqueezeNet 1.1 that the CLI tests also run, converted from the shared ONNX model by
    /// `featmap convert`; the fixture script checked that it holds the ONNX model's nodes, in order,
    /// and every initializer's float16 bits.
    static func squeezeNet() throws -> Model {
        try Model.load(contentsOf: repository.appendingPathComponent("Tests/FeatMapCLITests/Fixtures/models/squeezenet1.1.weights"))
    }

    /// samples/lenet.weights, what `featmap predict` users run (LeNet-5 converted by `featmap convert`).
    static func lenet() throws -> Model {
        try Model.load(contentsOf: repository.appendingPathComponent("samples/lenet.weights"))
    }

    /// The chelsea cat as SqueezeNet's [3, 224, 224] input: Pillow's crop fit, raw 0–255 RGB.
    static func squeezeNetInput(_ ref: SafeTensors) throws -> Tensor {
        try #require(ref.tensors["input"]).reshaped([3, 224, 224])
    }

    /// A gzip file inflated by zlib (windowBits 15 + 16: gzip wrapper, CRC-32 checked).
    static func gunzipped(_ url: URL) throws -> [UInt8] {
        let packed = [UInt8](try Data(contentsOf: url))
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CocoaError(.fileReadCorruptFile)
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status = Z_OK
        packed.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = uInt(src.count)
            while status == Z_OK {
                chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                }
                out += chunk.prefix(chunk.count - Int(stream.avail_out))
            }
        }
        guard status == Z_STREAM_END else { throw CocoaError(.fileReadCorruptFile) }
        return out
    }

    /// onnxruntime's LeNet-5 outputs on those digits: "probabilities" [1000, 10], "predicted", "labels", "correct".
    static func mnistReference() throws -> SafeTensors {
        let url = Bundle.module.url(forResource: "Fixtures/mnist/lenet-onnxruntime-1000.safetensors", withExtension: nil)!
        return try SafeTensors(try Data(contentsOf: url), file: url.path)
    }

    /// The first 1,000 MNIST test digits (28×28, white ink on black) and their labels, from the IDX files.
    static func mnist() throws -> (images: [[UInt8]], labels: [Int]) {
        let dir = Bundle.module.url(forResource: "Fixtures/mnist", withExtension: nil)!
        let images = try gunzipped(dir.appendingPathComponent("t10k-images-1000-idx3-ubyte.gz"))
        let labels = try gunzipped(dir.appendingPathComponent("t10k-labels-1000-idx1-ubyte.gz"))
        func int(_ b: [UInt8], _ at: Int) -> Int { b[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        #expect(int(images, 0) == 2051 && int(images, 4) == 1000 && int(images, 8) == 28 && int(images, 12) == 28)
        #expect(int(labels, 0) == 2049 && int(labels, 4) == 1000)
        #expect(images.count == 16 + 1000 * 784 && labels.count == 8 + 1000)
        return ((0..<1000).map { Array(images[(16 + $0 * 784)..<(16 + ($0 + 1) * 784)]) }, labels.dropFirst(8).map(Int.init))
    }
}

@Suite struct WholeModelReferenceTests {
    /// Every node output of SqueezeNet 1.1 (66 layers: conv1 … fire9, conv10, the global average
    /// pool and the softmax) on the chelsea cat at 224×224, against onnxruntime: tensors of up to
    /// 4096 values completely, larger ones on a dense strided subsample of about 3,000 values that
    /// runs to the last element, plus min, mean, max and L2 norm of the whole tensor.
    @Test func squeezeNetEveryLayerAt224MatchesOnnxruntime() throws {
        let model = try WholeModelFixtures.squeezeNet()
        let ref = try ModelFixtures.safetensors("squeezenet-224-reference.safetensors")
        let orderJSON = try #require(ref.metadata["order"])
        let order = try #require(try JSONSerialization.jsonObject(with: Data(orderJSON.utf8)) as? [String])
        #expect(order.count == 66)
        #expect(model.graph.nodes.count == 66)
        let result = model.graph.forward(try WholeModelFixtures.squeezeNetInput(ref), keep: { _ in true })
        #expect(result.stoppedBy == nil, "\(String(describing: result.stoppedBy))")
        // Each node's output, in graph order, is the reference's.
        #expect(result.layers.map { model.graph.nodes[$0.index].outputs[0] } == order)
        var complete = 0
        for layer in result.layers {
            let name = model.graph.nodes[layer.index].outputs[0]
            let shape = try #require(ref.tensors["\(name).shape"]).storage.map { Int($0) }
            let sampling = try #require(ref.tensors["\(name).sampling"]).storage.map { Int($0) }
            let values = try #require(ref.tensors["\(name).values"]).storage
            let stats = try #require(ref.tensors["\(name).stats"]).storage
            #expect(layer.output.shape == shape, "\(layer.name)")
            guard layer.output.shape == shape else { continue }
            let (offset, stride, count) = (sampling[0], sampling[1], sampling[2])
            #expect(count == values.count && offset + stride * (count - 1) == layer.output.count - 1)
            if stride == 1 { complete += 1 }
            let scale = max(stats[3], 1e-6)
            let out = layer.output.storage
            var worst: Float = 0
            for i in 0..<count { worst = max(worst, abs(out[offset + i * stride] - values[i])) }
            #expect(worst <= 1e-4 * scale, "\(layer.name): sampled values differ by \(worst / scale) of the largest magnitude")
            var sum = 0.0, squares = 0.0
            for v in out { sum += Double(v); squares += Double(v) * Double(v) }
            let mean = Float(sum / Double(out.count)), l2 = Float(squares.squareRoot())
            #expect(abs(layer.output.minimum - stats[0]) <= 1e-5 * scale, "\(layer.name) min \(layer.output.minimum) vs \(stats[0])")
            #expect(abs(mean - stats[1]) <= 1e-5 * scale, "\(layer.name) mean \(mean) vs \(stats[1])")
            #expect(abs(layer.output.maximum - stats[2]) <= 1e-5 * scale, "\(layer.name) max \(layer.output.maximum) vs \(stats[2])")
            #expect(abs(l2 - stats[4]) <= 1e-5 * stats[4], "\(layer.name) L2 \(l2) vs \(stats[4])")
        }
        // Complete: the global average pool's 1000 values and the softmax's.
        #expect(complete == 2)
        let probabilities = try #require(result.output).storage
        #expect(probabilities.firstIndex(of: probabilities.max()!) == 285)  // Egyptian cat
    }

    /// The fused pass that `featmap predict` runs (each Conv with its ReLU, the Fire modules' expand
    /// branches written into their Concat, the Convs on oneDNN's channels-last primitives) on the whole
    /// SqueezeNet: its class probabilities are onnxruntime's, completely, and within 1e-5 of those of the
    /// pass that keeps every layer (bit for bit without the channels-last Convs).
    @Test func squeezeNetFusedPassAt224MatchesOnnxruntime() throws {
        let model = try WholeModelFixtures.squeezeNet()
        let g = model.graph
        let plan = g.fusionPlan()
        // conv1, and squeeze, expand1x1, expand3x3 of fire2…fire9, and conv10 take their ReLU;
        // both expand branches of the eight Fire modules write into their Concat.
        #expect(plan.activation.count == 1 + 3 * 8 + 1)
        #expect(plan.slot.count == 16 && plan.concatChannels.count == 8)
        let ref = try ModelFixtures.safetensors("squeezenet-224-reference.safetensors")
        let input = try WholeModelFixtures.squeezeNetInput(ref)
        let fused = g.forwardFused(input, plan: plan)
        #expect(fused.stoppedBy == nil, "\(String(describing: fused.stoppedBy))")
        let output = try #require(fused.output)
        let name = try #require(g.outputs.first)
        let shape = try #require(ref.tensors["\(name).shape"]).storage.map { Int($0) }
        let sampling = try #require(ref.tensors["\(name).sampling"]).storage.map { Int($0) }
        let expected = try #require(ref.tensors["\(name).values"]).storage
        #expect(output.shape == shape && sampling == [0, 1, 1000])
        let err = ModelFixtures.relativeError(output.storage, expected)
        #expect(err <= 1e-4, "fused output differs from onnxruntime by \(err) of its largest value")
        #expect(output.storage.firstIndex(of: output.storage.max()!) == 285)
        // The channels-last Convs sum in oneDNN's order; without them the fused pass is the plain one, bit for bit.
        let plain = try #require(g.forward(input).output)
        #expect(ModelFixtures.relativeError(output.storage, plain.storage) <= 1e-5)
        var unchanged = plan
        unchanged.channelsLast = false
        let same = try #require(g.forwardFused(input, plan: unchanged).output)
        let identical = plain == same  // (not inside #expect, which would print 1000 values on failure)
        #expect(identical, "the fused pass differs from the pass that keeps every layer")
    }

    /// LeNet-5 as `featmap predict` runs it (samples/lenet.weights, its metadata's normalisation, the
    /// fused pass) on the first 1,000 MNIST test digits: every predicted digit is onnxruntime's, every
    /// class probability within 1e-5 of onnxruntime's, and so the accuracy on the labels is the same
    /// (990 of 1000). onnxruntime got each digit as (x/255 − 0.1307)/0.3081, the 28×28 image unchanged;
    /// featmap gets the same with `fit` set to stretch (a 28×28 → 28×28 resize is the identity), since
    /// the model's `digit` fit would re-centre digits that MNIST has already centred.
    @Test func lenetPredictsTheFirstThousandMNISTDigitsAsOnnxruntime() throws {
        var model = try WholeModelFixtures.lenet()
        #expect(model.preprocessing == Preprocessing(width: 28, height: 28, color: .grey, fit: .digit, range: [0, 1],
                                                     mean: [0.1307], std: [0.3081]))
        model.preprocessing.fit = .stretch
        let (images, labels) = try WholeModelFixtures.mnist()
        let ref = try WholeModelFixtures.mnistReference()
        let probabilities = try #require(ref.tensors["probabilities"]).storage
        let predicted = try #require(ref.tensors["predicted"]).storage.map { Int($0) }
        #expect(try #require(ref.tensors["labels"]).storage.map { Int($0) } == labels)
        let plan = model.graph.fusionPlan()
        var ours: [Int] = [], worst: Float = 0
        for image in images {
            let digit = Image(width: 28, height: 28, channels: 1, bitDepth: 8, samples: image.map(Float.init))
            let input = try model.preprocessing.prepared(digit).tensor
            let output = try #require(model.graph.forwardFused(input, plan: plan).output).storage
            try #require(output.count == 10)
            let k = ours.count
            for c in 0..<10 { worst = max(worst, abs(output[c] - probabilities[k * 10 + c])) }
            ours.append(output.firstIndex(of: output.max()!)!)
        }
        let differing = zip(ours, predicted).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing.isEmpty, "digits \(differing.prefix(20)) predicted otherwise than onnxruntime")
        #expect(worst <= 1e-5, "class probabilities differ from onnxruntime's by up to \(worst)")
        let correct = zip(ours, labels).filter { $0 == $1 }.count
        #expect(correct == Int(try #require(ref.tensors["correct"]).storage[0]))
        #expect(correct == 990)
    }
}
