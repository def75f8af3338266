import Foundation
import Testing
@testable import FeatMapKit

/// The nine classic architectures of the ONNX model zoo (their graphs from the onnx wheel's
/// backend/test/data/light, weights from ZooWeights), every layer against onnxruntime: each node
/// output's min, mean, max and L2 and 64 samples at flat indices i·(n − 1) ÷ 63, and the classifier's
/// probabilities complete (fixtures: Tests/scripts/zoo_fixtures.py).
@Suite struct ZooModelTests {
    static let names = ["bvlc_alexnet", "zfnet512", "vgg19", "inception_v1", "inception_v2", "resnet50", "densenet121",
                        "shufflenet", "squeezenet"]

    static func url(_ name: String) -> URL { Bundle.module.url(forResource: "Fixtures/zoo/\(name)", withExtension: nil)! }

    static func model(_ name: String) throws -> (Model, SafeTensors) {
        try LayerReference.model(url("\(name).onnx"), reference: url("\(name).safetensors"))
    }

    @Test(arguments: names)
    func everyLayerMatchesOnnxruntime(_ name: String) throws {
        let (model, ref) = try Self.model(name)
        try LayerReference.compareEveryLayer(name, model: model, ref: ref)
    }
}
