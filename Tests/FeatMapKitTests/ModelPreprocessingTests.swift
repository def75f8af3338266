import Foundation
import Testing
@testable import FeatMapKit

@Suite struct ModelPreprocessingTests {
    /// The MNIST test digit #0 (a 7) as an 8-bit image, recovered from the reference input
    /// (x/255 − 0.1307)/0.3081 that Tests/scripts/model_fixtures.py stored.
    static func mnistSeven() throws -> (Image, Tensor) {
        let ref = try ModelFixtures.safetensors("lenet-reference.safetensors")
        let input = try #require(ref.tensors["input"])
        let pixels = input.storage.map { (($0 * 0.3081 + 0.1307) * 255).rounded() }
        return (Image(width: 28, height: 28, channels: 1, bitDepth: 8, samples: pixels), input)
    }

    static let lenet = Preprocessing(width: 28, height: 28, color: .grey, fit: .digit, range: [0, 1], mean: [0.1307], std: [0.3081])

    @Test func mnistDigitPassesThroughUnchanged() throws {
        // An MNIST digit already has its ink in a 20×20 box centred by mass at (14, 14).
        let (image, expected) = try Self.mnistSeven()
        let prepared = try Self.lenet.prepared(image)
        #expect(prepared.tensor.shape == [1, 28, 28])
        #expect(ModelFixtures.relativeError(prepared.tensor.storage, expected.storage) <= 1e-3)
        #expect(prepared.seen.samples == image.samples)
    }

    @Test func darkDigitOnLightPaperAtAnySizeIsRecentred() throws {
        // The 7 drawn dark on white, four times larger, off-centre in a 200×150 RGB page with a
        // grey alpha-free background: inverted, cropped to the ink, fitted into 20×20, centred.
        let (image, _) = try Self.mnistSeven()
        let (w, h, k) = (200, 150, 4)
        var samples = [Float](repeating: 250, count: w * h * 3)
        for y in 0..<(28 * k) { for x in 0..<(28 * k) {
            let v = 250 - image.samples[(y / k) * 28 + x / k] * 250 / 255
            for c in 0..<3 { samples[((y + 20) * w + x + 70) * 3 + c] = v }
        } }
        let page = Image(width: w, height: h, channels: 3, bitDepth: 8, samples: samples)
        let prepared = try Self.lenet.prepared(page)
        // The ink's centre of mass lands on (14, 14) within rounding; its box is 20 pixels tall.
        let seen = prepared.seen.samples
        var mass: Float = 0, my: Float = 0, mx: Float = 0
        var rows = Set<Int>()
        for y in 0..<28 { for x in 0..<28 where seen[y * 28 + x] > 0 {
            mass += seen[y * 28 + x]; my += seen[y * 28 + x] * Float(y); mx += seen[y * 28 + x] * Float(x); rows.insert(y)
        } }
        #expect(abs(my / mass - 14) <= 0.5 && abs(mx / mass - 14) <= 0.5)
        #expect(rows.count == 20)
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let output = try #require(model.graph.forward(prepared.tensor).output)
        #expect(output.storage.firstIndex(of: output.maximum) == 7)
    }

    @Test func cropAndStretchMatchPillow() throws {
        // Pillow's Image.resize(…, BILINEAR) in mode "F" (Tests/scripts/model_fixtures.py).
        let ref = try ModelFixtures.safetensors("resize-reference.safetensors")
        let patch = try #require(ref.tensors["patch"])
        let image = Image(planes: patch, alpha: nil, bitDepth: 8)
        let crop = try Preprocessing(width: 16, height: 16, color: .rgb, fit: .crop, range: [0, 255]).prepared(image)
        let expectedCrop = try #require(ref.tensors["crop16"])
        #expect(crop.tensor.shape == [3, 16, 16])
        #expect(zip(crop.tensor.storage, expectedCrop.storage).map { abs($0 - $1) }.max()! < 1e-3)
        let stretch = try Preprocessing(width: 25, height: 50, color: .rgb, fit: .stretch, range: [0, 255]).prepared(image)
        let expectedStretch = try #require(ref.tensors["stretch25x50"])
        #expect(zip(stretch.tensor.storage, expectedStretch.storage).map { abs($0 - $1) }.max()! < 1e-3)
        // BGR reverses the planes; mean/std apply per channel after the range.
        let bgr = try Preprocessing(width: 25, height: 50, color: .bgr, fit: .stretch, range: [0, 1],
                                    mean: [0.5, 0, 0.25], std: [0.5, 1, 2]).prepared(image)
        let n = 25 * 50
        #expect(abs(bgr.tensor.storage[0] - (expectedStretch.storage[2 * n] / 255 - 0.5) / 0.5) < 1e-5)
        #expect(abs(bgr.tensor.storage[2 * n + 7] - (expectedStretch.storage[7] / 255 - 0.25) / 2) < 1e-5)
    }

    @Test func greyFromColourUsesRec601() throws {
        let image = Image(width: 1, height: 1, channels: 3, bitDepth: 8, samples: [200, 100, 50])
        let p = try Preprocessing(width: 1, height: 1, color: .grey, fit: .stretch, range: [0, 255]).prepared(image)
        #expect(abs(p.tensor.storage[0] - (0.299 * 200 + 0.587 * 100 + 0.114 * 50)) < 1e-3)
    }

    @Test func invalidSettingsAreRejected() {
        #expect(throws: ModelError.self) { try Preprocessing(width: 0, height: 5, color: .grey, fit: .crop).validated() }
        #expect(throws: ModelError.self) { try Preprocessing(width: 5, height: 5, color: .rgb, fit: .crop, mean: [1, 2]).validated() }
        #expect(throws: ModelError.self) { try Preprocessing(width: 5, height: 5, color: .grey, fit: .crop, std: [0]).validated() }
    }
}
