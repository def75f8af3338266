import Foundation
import SwiftProtobuf
import Testing
@testable import FeatMapKit

/// ZooWeights of Tests/FeatMapKitTests/ZooModelTests.swift, repeated here (test targets share no sources):
/// the deterministic weights Tests/scripts/zoo_fixtures.py gave the zoo's light models in place of their
/// ConstantOfShape fills, the same bits on both sides.
enum ZooCLIWeights {
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static func uniform(_ name: String, _ count: Int) -> [Float] {
        let seed = fnv1a(name)
        return (0..<count).map { i in
            var z = seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / 8_388_608 - 1
        }
    }

    static func values(_ name: String, shape: [Int], graph: Graph) -> [Float] {
        let count = shape.reduce(1, *)
        var (a, b): (Float, Float) = (0.05, 0)
        if let node = graph.nodes.first(where: { $0.inputs.contains(name) }), let k = node.inputs.firstIndex(of: name) {
            switch node.op {
            case "BatchNormalization":
                (a, b) = [1: (0.2, 1.0), 2: (0.1, 0.0), 3: (0.1, 0.0), 4: (0.5, 1.0)][k] ?? (0.1, 0)
            case "LayerNormalization":
                (a, b) = [1: (0.2, 1.0), 2: (0.1, 0.0)][k] ?? (0.1, 0)
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
        return uniform(name, count).map { $0 * a + b }
    }
}

/// The zoo architectures through the binary (issue 14; ZooCLIWeights mirrors FeatMapKitTests' ZooWeights,
/// since test targets share no sources): each light model written as a real .onnx with its
/// ZooWeights as initializers in place of the ConstantOfShape fills, then `featmap layers` (three layers'
/// .npy against onnxruntime's stats and samples, and the top class), `predict` (onnxruntime's most probable
/// class and its probability), `info` (a receptive field for every layer with feature maps; ResNet-50's
/// residual Sums and GoogLeNet's Inception Concats aligned, the first ones' fields worked by hand) and `rf`
/// on ResNet-50's first residual Sum. References: FeatMapKitTests' Fixtures/zoo (Tests/scripts/zoo_fixtures.py).
///
/// The debug binary takes seconds to load a large model, so not every model runs every command: `layers` on
/// SqueezeNet, ShuffleNet and GoogLeNet, and on four torchvision exports (ResNet-18 and GoogLeNet by the
/// dynamo exporter, MobileNet v3 small and ShuffleNet v2 by the legacy one); `predict` on those and ResNet-50; `info` (which needs no weights, so
/// reads the light models as shipped) on those four, Inception v2 (its first reduction not aligned, by hand),
/// DenseNet-121 and AlexNet; `rf` on ResNet-50.
/// ZFNet-512 and VGG-19 (8 and 15 s to load in the debug binary) run only in ZooModelTests, in-process.
@Suite struct ZooCLITests {
    static let zoo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FeatMapKitTests/Fixtures/zoo")

    static func light(_ name: String) -> String { zoo.appendingPathComponent("\(name).onnx").path }

    /// Writes NAME.onnx with hashed weights and input.npy into `dir`; returns the graph and the reference.
    /// As in zoo_fixtures.py, a fill that only Reshape/Unsqueeze/Squeeze/Flatten nodes rearrange gets the
    /// values of the chain's last tensor (its name and first reader), held in the fill's own shape.
    static func write(_ name: String, into dir: URL, from folder: URL = zoo) throws -> (Graph, SafeTensors) {
        let source = folder.appendingPathComponent("\(name).onnx")
        let ref = try SafeTensors(Data(contentsOf: folder.appendingPathComponent("\(name).safetensors")), file: "\(name).safetensors")
        let graph = try Model.load(contentsOf: source).graph
        let filled = Set((ref.metadata["filled"] ?? "").split(separator: ",").map(String.init))
        var proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: source))
        var readers: [String: [Onnx_NodeProto]] = [:]
        for n in proto.graph.node { for i in n.input { readers[i, default: []].append(n) } }
        let initializers = Dictionary(proto.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let rearranging: Set<String> = ["Reshape", "Unsqueeze", "Squeeze", "Flatten"]
        var replaced: [(fill: String, end: String, shape: [Int])] = []
        for n in proto.graph.node where n.opType == "ConstantOfShape" && n.output.count == 1 {
            var end = n.output[0]
            while let r = readers[end], r.count == 1, rearranging.contains(r[0].opType), r[0].input.first == end { end = r[0].output[0] }
            guard filled.contains(end), let shapeTensor = initializers[n.input[0]] else { continue }
            replaced.append((n.output[0], end, try ONNXReader.tensor(from: shapeTensor, file: name).storage.map { Int($0) }))
        }
        #expect(Set(replaced.map(\.end)) == filled, "\(name): fills found for \(replaced.count) of \(filled.count) tensors")
        let fills = Set(replaced.map(\.fill))
        proto.graph.node.removeAll { $0.opType == "ConstantOfShape" && fills.contains($0.output.first ?? "") }
        for (fill, end, shape) in replaced {
            let w = try #require(graph.weights[end], "\(name): no tensor \(end)")
            var t = Onnx_TensorProto()
            t.name = fill
            t.dims = shape.map { Int64($0) }
            t.dataType = 1
            t.rawData = ZooCLIWeights.values(end, shape: w.shape, graph: graph).withUnsafeBytes { Data($0) }
            proto.graph.initializer.append(t)
        }
        try proto.serializedData().write(to: dir.appendingPathComponent("\(name).onnx"))
        let input = try #require(ref.tensors["input"])
        try Data(NPY.encode(shape: input.shape, values: input.storage)).write(to: dir.appendingPathComponent("input.npy"))
        return (graph, ref)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The class probabilities of the reference output: itself when it is a distribution, else its softmax.
    static func probabilities(_ v: [Float]) -> [Float] {
        if v.allSatisfy({ $0 >= 0 && $0 <= 1 }) && abs(v.reduce(0, +) - 1) < 1e-3 { return v }
        let top = v.max()!, e = v.map { Foundation.exp(Double($0 - top)) }, total = e.reduce(0, +)
        return e.map { Float($0 / total) }
    }

    static let torchvision = zoo.deletingLastPathComponent().appendingPathComponent("torchvision")

    /// The zoo models, and torchvision exports of both exporters (FeatMapKitTests' Fixtures/torchvision,
    /// Tests/scripts/torchvision_fixtures.py) drawn the same way.
    @Test(arguments: ["squeezenet", "shufflenet", "inception_v1", "resnet50",
                      "torchvision/resnet18-dynamo", "torchvision/mobilenet_v3_small-legacy", "torchvision/googlenet-dynamo",
                      "torchvision/shufflenet_v2_x0_5-legacy"])
    func layersAndPredictMatchOnnxruntime(_ path: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fromTorchvision = path.hasPrefix("torchvision/")
        let name = fromTorchvision ? String(path.dropFirst("torchvision/".count)) : path
        let (graph, ref) = try Self.write(name, into: dir, from: fromTorchvision ? Self.torchvision : Self.zoo)
        let model = "\(name).onnx"
        let probabilities = Self.probabilities(try #require(ref.tensors["output"]?.storage))
        let best = probabilities.firstIndex(of: probabilities.max()!)!

        // predict: onnxruntime's most probable class and its probability.
        let p = try CLI.run(["predict", model, "input.npy"], in: dir)
        #expect(p.status == 0, "\(name): \(p.stderr)")
        let fields = p.stdoutText.trimmingCharacters(in: .newlines).split(separator: "\t").map(String.init)
        #expect(fields.count == 3 && fields[1] == "\(best)", "\(name): \(p.stdoutText) vs \(best)")
        #expect(abs((Float(fields.last ?? "") ?? -1) - probabilities[best]) <= 1e-4 + 5e-5, "\(name): \(p.stdoutText) vs \(probabilities[best])")

        guard name != "resnet50" else { return }
        // layers, the whole pass: three drawn layers (first, middle and last feature-map layer) as .npy.
        let defaults = graph.defaultLayerIndices
        let picks = [defaults.first!, defaults[defaults.count / 2], defaults.last!]
        let r = try CLI.run(["layers", model, "input.npy", "--npy", "--no-images", "--json", "-o", "out",
                             "--layers", picks.map { graph.layerNames[$0] }.joined(separator: ",")], in: dir)
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let report = try Self.json(r.stdoutText)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path).filter { $0.hasSuffix(".npy") }
        #expect(written.count == 3, "\(name): \(written)")
        let digits = max(2, String(graph.nodes.count).count)
        for i in picks {
            let number = String(i + 1), file = String(repeating: "0", count: max(0, digits - number.count)) + number + "-"
                + String(graph.layerNames[i].map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }) + ".npy"
            let v = try NPY.decode([UInt8](Data(contentsOf: dir.appendingPathComponent("out/\(file)"))), source: file).storage
            let value = graph.nodes[i].outputs[0]
            let stats = try #require(ref.tensors["\(value)/stats"]?.storage), samples = try #require(ref.tensors["\(value)/samples"]?.storage)
            let scale = max(abs(stats[0]), abs(stats[2]), 1e-6), n = v.count, k = min(n, 64)
            #expect(samples.count == k)
            var worst: Float = 0
            for j in 0..<min(k, samples.count) { worst = max(worst, abs(v[k <= 1 ? 0 : j * (n - 1) / (k - 1)] - samples[j])) }
            #expect(worst <= 1e-4 * scale, "\(name) \(file): samples differ by \(worst) of \(scale)")
            let sum: Double = v.reduce(0.0) { $0 + Double($1) }
            let mean = Float(sum / Double(max(1, n))), low: Float = v.min()!, high: Float = v.max()!
            let statsError: Float = max(abs(mean - stats[1]), abs(low - stats[0]), abs(high - stats[2]))
            #expect(statsError <= 1e-4 * scale, "\(name) \(file): stats differ by \(statsError)")
        }
        let top = try #require((report["top"] as? [[String: Any]])?.first)
        #expect(top["index"] as? Int == best, "\(name): layers' top class")
    }

    static func field(_ l: [String: Any]) -> [[Int]]? {
        guard let a = l["receptive_field"] as? [Int], let b = l["effective_stride"] as? [Int], let c = l["effective_padding"] as? [Int] else { return nil }
        return [a, b, c]
    }

    /// Receptive fields need no weights: the light models as shipped.
    @Test(arguments: ["bvlc_alexnet", "inception_v1", "inception_v2", "resnet50", "densenet121", "shufflenet", "squeezenet"])
    func infoGivesEveryLayerAField(_ name: String) throws {
        let info = try CLI.run(["info", Self.light(name), "--json"])
        #expect(info.status == 0, "\(name): \(info.stderr)")
        let layers = try #require(try Self.json(info.stdoutText)["layers"] as? [[String: Any]])
        // Every node that runs has its row: those not computed from the file's tensors alone (the ConstantOfShape
        // fills and what rearranges them are folded at load, so they are not layers).
        let proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: Self.light(name))))
        var constant = Set(proto.graph.initializer.map(\.name))
        var running = 0
        for n in proto.graph.node {
            if n.input.allSatisfy({ $0.isEmpty || constant.contains($0) }) { constant.formUnion(n.output) } else { running += 1 }
        }
        #expect(layers.count == running, "\(name): \(layers.count) rows for \(running) nodes")
        for l in layers where (l["output_shape"] as? [Int])?.count == 4 {
            #expect(Self.field(l) != nil || l["receptive_field"] as? String == "not aligned", "\(name) \(l["name"] ?? ""): no field")
        }
        if name == "resnet50" {
            // Every residual Sum joins fields of one stride and one centre (the shortcut's 1×1 stride 2 and the
            // 3×3 stride-2 path, both padded symmetrically, put unit u's centre at 8u in res3): aligned, the field
            // the larger branch's. By hand: conv1 7×7/2 pad 3 and pool 3×3/2 pad 1 give RF 11, jump 4, centre 0;
            // res2_0's 3×3 path gives 19 (branch1 11): RF 19, jump 4, eff.pad 9. res2_1, res2_2 add 8 each: 35;
            // res3_0's 3×3/2 pad 1 gives 35 + 2·4 = 43, jump 8, branch1 (1×1/2) RF 35, jump 8: RF 43, eff.pad 21.
            let sums = layers.filter { $0["op"] as? String == "Sum" }
            #expect(sums.count == 16 && sums.allSatisfy { Self.field($0) != nil }, "\(sums.map { $0["receptive_field"] ?? "" })")
            #expect(Self.field(sums[0]) == [[19, 19], [4, 4], [9, 9]], "\(sums[0])")
            #expect(Self.field(sums[3]) == [[43, 43], [8, 8], [21, 21]], "\(sums[3])")
            let table = try CLI.run(["info", Self.light(name)])
            #expect(table.status == 0 && !table.stdoutText.contains("not aligned"))
        }
        if name == "inception_v1" {
            // Each Inception's branches are stride 1 and centred (1×1; 3×3 pad 1; 5×5 pad 2; pool 3×3/1 pad 1), so
            // every Concat is aligned. By hand for 3a: conv1 7×7/2 pad 3: RF 7, jump 2, centre 0; pool 3×3/2 pad 0:
            // 11, jump 4, centre 2; conv2 3×3 pad 1: 19; pool 3×3/2: 27, jump 8, centre 6; the 5×5 branch: 27 + 4·8 = 59,
            // eff.pad (59 − 1)/2 − 6 = 23.
            let concats = layers.filter { $0["op"] as? String == "Concat" }
            #expect(concats.count == 9 && concats.allSatisfy { Self.field($0) != nil }, "\(concats.map { $0["receptive_field"] ?? "" })")
            #expect(Self.field(concats[0]) == [[59, 59], [8, 8], [23, 23]], "\(concats[0])")
        }
    }

    /// Inception v2's first reduction module does join branches that are not aligned. By hand: its 3×3 stride-2
    /// convolutions pad 1 on every side, so unit 0's window covers rows −1…1 of the module's input (centre 0); its
    /// max pool 3×3 stride 2 pads 0 at the top and left, 1 at the bottom and right, so unit 0 covers rows 0…2
    /// (centre 1). One stride, two centres: that Concat (n161) is not aligned, and the Concats before it are.
    @Test func inceptionV2ReductionIsNotAligned() throws {
        let info = try CLI.run(["info", Self.light("inception_v2"), "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let layers = try #require(try Self.json(info.stdoutText)["layers"] as? [[String: Any]])
        let concats = layers.filter { $0["op"] as? String == "Concat" }
        let reduction = try #require(concats.firstIndex { $0["name"] as? String == "n161" })
        #expect(concats[reduction]["receptive_field"] as? String == "not aligned", "\(concats[reduction])")
        #expect(reduction > 0 && concats[..<reduction].allSatisfy { Self.field($0) != nil }, "\(concats[..<reduction].map { $0["receptive_field"] ?? "" })")
    }

    /// rf on ResNet-50's first residual Sum (res2_0): the centre unit (28, 28) of its 56×56 map sees rows and
    /// columns 4·28 − 9 … 4·28 + 9 (RF 19, jump 4, eff.pad 9, as worked out above). Geometry needs no weights.
    @Test func rfOnResNetResidualSum() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ref = try SafeTensors(Data(contentsOf: Self.zoo.appendingPathComponent("resnet50.safetensors")), file: "resnet50.safetensors")
        let input = try #require(ref.tensors["input"])
        try Data(NPY.encode(shape: input.shape, values: input.storage)).write(to: dir.appendingPathComponent("input.npy"))
        let proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: Self.light("resnet50"))))
        let sum = try #require(proto.graph.node.first { $0.opType == "Sum" })
        let rf = try CLI.run(["rf", Self.light("resnet50"), "input.npy", "--layer", sum.name, "-o", "rf.png"], in: dir)
        #expect(rf.status == 0, "\(rf.stderr)")
        #expect(rf.stdoutText.contains("rows 103…121, columns 103…121, field 19×19"), "\(rf.stdoutText)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("rf.png").path))
    }
}
