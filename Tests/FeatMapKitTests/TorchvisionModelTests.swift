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
}
