import FeatMapKit
import Foundation
import Testing

/// `featmap layers --pool-views` and overview.png, on the LeNet sample and the first MNIST test digit.
@Suite struct PoolViewsTests {
    static func image(_ dir: URL, _ name: String) throws -> Image { try ImageDecoder.decode(path: dir.appendingPathComponent(name).path) }
    static func npy(_ dir: URL, _ name: String) throws -> Tensor {
        try NPY.decode([UInt8](try Data(contentsOf: dir.appendingPathComponent(name))), source: name)
    }

    /// Wiring test: checks the pool views and overview.png are produced from the layer activations the run
    /// wrote (--npy) with the pooling and field arithmetic stated below; pixel values are featmap's own
    /// (the pictures are redrawn here by the same renderer). The receptive-field numbers are by hand, the
    /// pooling geometry is checked against NumPy in PoolCommandTests and PoolingPictureTests.
    @Test func poolViewsAndOverviewAreWritten() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                             "-o", dir.path, "--pool-views", "--npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(files.isSuperset(of: ["03-pool1-pool.png", "06-pool2-pool.png", "overview.png", "input.png"]))

        // pool1's view is the before/after picture of relu1's maps (its input) against pool1's, 2×2 max, stride 2:
        // redrawn here from the .npy activations, it must match pixel for pixel.
        let before = try Self.npy(dir, "02-relu1.npy"), after = try Self.npy(dir, "03-pool1.npy")
        let expected = try PoolingPicture.layer(input: before, output: after, pooling: Pooling(kind: .max, kernel: Pair(2, 2)),
                                                title: "pool1 · MaxPool: before and after")
        let drawn = try Self.image(dir, "03-pool1-pool.png")
        #expect(drawn.width == expected.width && drawn.height == expected.height)
        #expect(drawn.samples == (try expected.image()).samples)

        // The overview: input, then each grid in graph order with name, operator, shape and the receptive field
        // worked by hand (conv 5×5: 5, stride 1; pool 2/2: 6, stride 2; conv 5×5: 6 + 4·2 = 14; pool: 16, stride 4).
        var overview = Overview(title: "lenet: digit.png, layer by layer")
        overview.addInput(try Self.image(dir, "input.png"), lines: ["input", "1×28×28"])
        let grids: [(String, String, String, [Int], Int, Int)] = [
            ("01-conv1.png", "conv1", "Conv", [6, 28, 28], 5, 1), ("02-relu1.png", "relu1", "Relu", [6, 28, 28], 5, 1),
            ("03-pool1.png", "pool1", "MaxPool", [6, 14, 14], 6, 2), ("04-conv2.png", "conv2", "Conv", [16, 10, 10], 14, 2),
            ("05-relu2.png", "relu2", "Relu", [16, 10, 10], 14, 2), ("06-pool2.png", "pool2", "MaxPool", [16, 5, 5], 16, 4)]
        for (file, name, op, shape, size, jump) in grids {
            let field = ReceptiveField(size: Pair(size, size), jump: Pair(jump, jump), padding: Pair(2, 2))
            overview.add(try Self.image(dir, file), lines: Overview.lines(name: name, op: op, shape: shape, field: .spatial(field)))
        }
        let (drawing, layout) = try overview.draw()
        let canvas = try drawing.rendered()
        let png = try Self.image(dir, "overview.png")
        #expect(png.width == layout.width && png.height == layout.height)
        #expect(png.samples == canvas.image.samples)
        #expect(layout.pictures.count == 7)
    }

    @Test func noImagesMeansNoOverview() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                             "-o", dir.path, "--no-images"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("overview.png").path))
    }
}
