import FeatMapKit
import Foundation
import Testing

/// `featmap filters` draws a layer's weights through Render/FilterGrid.
@Suite struct FiltersCommandTests {
    @Test func firstLayerOfAColourNetworkInColour() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("f.png")
        let r = try CLI.run(["filters", ModelCommandTests.sample("squeezenet-first.weights"), "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdoutText.contains("conv1_1: 64×3×3×3"))
        let png = try ImageDecoder.decode(path: out.path)
        let model = try Model.load(contentsOf: URL(fileURLWithPath: ModelCommandTests.sample("squeezenet-first.weights")))
        let weights = try #require(model.graph.weights["conv1_w_0"])
        let (drawing, layout) = try FilterGrid.draw(weights: weights, title: "conv1_1")
        let canvas = try drawing.rendered()
        #expect(png.width == layout.width && png.height == layout.height)
        #expect(layout.mode == .color)
        // The picture is the grid's, pixel for pixel, at each filter cell's centre.
        let drawn = Canvas(png)
        for cells in layout.cells.prefix(8) {
            let c = cells[0]
            #expect(drawn[c.x + c.width / 2, c.y + c.height / 2] == canvas[c.x + c.width / 2, c.y + c.height / 2])
        }
    }

    @Test func namedLayerAndErrors() throws {
        let dir = try CLI.temporaryDirectory()
        let ok = try CLI.run(["filters", ModelCommandTests.sample("lenet.weights"), "--layer", "conv2"], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("lenet-conv2-filters.png").path))
        let notConv = try CLI.run(["filters", ModelCommandTests.sample("lenet.weights"), "--layer", "pool1"], in: dir)
        #expect(notConv.status == 64)
        #expect(notConv.stderr.contains("not a convolution"))
        let missing = try CLI.run(["filters", "missing.weights"], in: dir)
        #expect(missing.status == 1)
    }
}
