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
