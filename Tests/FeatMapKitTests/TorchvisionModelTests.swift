import Foundation
import Testing
@testable import FeatMapKit

/// torchvision's architectures through both PyTorch exporters (torch.onnx.export with dynamo=True at
/// the opset it chooses, and the legacy TorchScript exporter at opset 17), weights from ZooWeights,
/// every layer against onnxruntime as ZooModelTests does, at the input size each fixture holds
/// (fixtures: Tests/scripts/torchvision_fixtures.py).
@Suite struct TorchvisionModelTests {
    static let architectures = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
                                "shufflenet_v2_x0_5", "densenet121", "googlenet", "inception_v3", "convnext_tiny", "regnet_y_400mf"]
    static let names = architectures.flatMap { ["\($0)-dynamo", "\($0)-legacy"] }

    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/torchvision/\(name)", withExtension: nil), "no fixture \(name)")
    }

    @Test(arguments: names)
    func everyLayerMatchesOnnxruntime(_ name: String) throws {
        let (model, ref) = try LayerReference.model(try Self.url("\(name).onnx"), reference: try Self.url("\(name).safetensors"))
        try LayerReference.compareEveryLayer(name, model: model, ref: ref)
    }

    /// The fused inference pass (residual Adds and their ReLUs folded into the Conv that feeds them,
    /// activations folded, Concat branches in place, work split over filters on small maps) against the
    /// pass that keeps every layer and against onnxruntime's final output, at 1e-5 and 1e-4 of the
    /// largest output: folding an Add changes only the order in which three numbers are added.
    @Test(arguments: names)
    func fusedPassMatchesThePlainPassAndOnnxruntime(_ name: String) throws {
        let (model, ref) = try LayerReference.model(try Self.url("\(name).onnx"), reference: try Self.url("\(name).safetensors"))
        let input = try #require(ref.tensors["input"])
        let g = model.graph
        let plan = g.fusionPlan()
        if name.hasPrefix("resnet18") || name.hasPrefix("mobilenet_v2") {
            // ResNet-18's eight basic blocks and MobileNet v2's ten residual bottlenecks.
            #expect(plan.residual.count == (name.hasPrefix("resnet18") ? 8 : 10), "\(name): \(plan.residual.count) residual Adds folded")
            #expect(plan.residual.allSatisfy { g.nodes[$0.value.add].op == "Add" })
        }
        if name.hasPrefix("efficientnet_b0") {
            // Its SiLUs (a Sigmoid and a Mul) run inside the Convs that feed them.
            #expect(!plan.silu.isEmpty)
            #expect(plan.silu.allSatisfy { g.nodes[$0.value.sigmoid].op == "Sigmoid" && g.nodes[$0.value.mul].op == "Mul" })
        }
        let image = input.reshaped(Array(input.shape.dropFirst()))
        let fused = g.forwardFused(image, plan: plan)
        #expect(fused.stoppedBy == nil, "\(name): \(fused.stoppedBy.map { "\($0)" } ?? "")")
        let a = try #require(fused.output).storage, b = try #require(g.forward(image).output).storage
        let expected = try #require(ref.tensors["output"]?.storage)
        #expect(a.count == b.count && a.count == expected.count)
        let largest = max(b.map(abs).max() ?? 0, 1e-6)
        let fromPlain = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        let fromOrt = zip(a, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(fromPlain <= 1e-5 * largest, "\(name): fused differs from plain by \(fromPlain) of \(largest)")
        #expect(fromOrt <= 1e-4 * largest, "\(name): fused differs from onnxruntime by \(fromOrt) of \(largest)")
    }

    /// `info`'s analysis runs through both exports to the end, and the two exporters' convolutions have
    /// the same output shapes and receptive fields (the graphs differ: node order, names, how a
    /// Flatten or a chunk is written), each field one of the analysis's answers.
    @Test(arguments: architectures)
    func bothExportersGiveTheSameFields(_ arch: String) throws {
        var convolutions: [[String]] = []
        for exporter in ["dynamo", "legacy"] {
            let (model, ref) = try LayerReference.model(try Self.url("\(arch)-\(exporter).onnx"), reference: try Self.url("\(arch)-\(exporter).safetensors"))
            let shape = try #require(ref.tensors["input"]?.shape)
            let analysis = try model.graph.analysed(channels: shape[1], height: shape[2], width: shape[3])
            #expect(analysis.stoppedBy == nil, "\(arch)-\(exporter): \(analysis.stoppedBy.map { "\($0)" } ?? "")")
            let convs = analysis.layers.filter { $0.op == "Conv" }
            #expect(convs.count == model.graph.nodes.filter { $0.op == "Conv" }.count)
            convolutions.append(convs.map { "\($0.outputShape) \($0.field)" }.sorted())
        }
        #expect(convolutions[0] == convolutions[1], "\(arch): the exporters' convolutions differ")
        #expect(!convolutions[0].isEmpty)
    }
}
