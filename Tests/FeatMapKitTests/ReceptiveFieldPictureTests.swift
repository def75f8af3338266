import Foundation
import Testing
@testable import FeatMapKit

/// The receptive-field picture: box, centre, hatched padding, label and the unit in the map.
@Suite struct ReceptiveFieldPictureTests {
    /// A 20×20 mid-grey input with one field reaching two rows above the image (rows −2…5, columns 8…15).
    static func picture(effective: [Float]? = nil) throws -> (drawing: Drawing, layout: ReceptiveFieldPicture.Layout) {
        let image = Image(width: 20, height: 20, channels: 1, repeating: 128)
        let mark = ReceptiveFieldPicture.Mark(label: "#1 test", rows: -2...5, columns: 8...15,
                                              unit: MapUnit(channel: 0, y: 0, x: 2), effective: effective)
        let map = ReceptiveFieldPicture.FeatureMap(values: (0..<25).map(Float.init), width: 5, height: 5, caption: "map")
        return try ReceptiveFieldPicture.draw(image: image, marks: [mark], map: map, title: "t", caption: "c")
    }

    /// Colours of hatching: the background, and greys between it and the line colour (anti-aliasing),
    /// some of them close to the line colour.
    static func isHatch(_ colours: Set<RGB>) -> Bool {
        let (bg, line) = ReceptiveFieldPicture.hatchColors
        return colours.contains(bg) && colours.contains { $0.r <= line.r + 30 }
            && colours.allSatisfy { $0.r == $0.g && $0.g == $0.b && $0.r >= line.r && $0.r <= bg.r }
    }

    @Test func boxCentreHatchAndLabelWhereTheyBelong() throws {
        let (drawing, layout) = try Self.picture()
        let canvas = try drawing.rendered()
        let s = layout.scale
        #expect(canvas.width == layout.width && canvas.height == layout.height)
        #expect(s == min(16, 600 / 22))  // 600 px over 20 + 2 rows, at most 16 px per input pixel
        let box = layout.boxes[0], red = ReceptiveFieldPicture.palette[0]
        #expect(box == PixelRect(x: layout.image.x + 8 * s, y: layout.image.y - 2 * s, width: 8 * s, height: 8 * s))
        // The outline on all four sides.
        #expect(canvas[box.x + box.width / 2, box.y] == red)
        #expect(canvas[box.x, box.y + box.height - 1 - s] == red)
        #expect(canvas[box.maxX - 1, box.y + box.height / 3] == red)
        #expect(canvas[box.x + 3 * s, box.maxY - 1] == red)
        // The centre cross.
        #expect(canvas[layout.centres[0].x, layout.centres[0].y] == red)
        #expect(layout.centres[0] == PixelPoint(x: box.x + box.width / 2, y: box.y + box.height / 2))
        // Above the image (rows −2, −1) the box is hatched: only the hatch background and the
        // anti-aliased shades of its lines appear there.
        let padding = PixelRect(x: box.x + 2, y: box.y + 2, width: box.width - 4, height: 2 * s - 3)
        let inPadding = canvas.colors(in: PixelRect(x: padding.x + 40, y: padding.y + 12, width: padding.width - 40, height: padding.height - 12))
        #expect(Self.isHatch(inPadding))
        // Inside the image the input shows through unchanged (grey 128), away from the cross.
        #expect(canvas[box.x + 4, layout.image.y + 4 * s] == RGB(grey: 128))
        // The label: a red tag at the box's top-left with white text in it.
        let tag = PixelRect(x: layout.labels[0].x, y: layout.labels[0].y, width: 16, height: 11)
        #expect(canvas[tag.x, tag.y] == red)
        #expect(canvas.colors(in: tag).contains(.white))
        // The unit (0, 2) framed in the map.
        let unit = layout.mapUnits[0], map = try #require(layout.map)
        #expect(unit.x == map.x + 2 * unit.width && unit.y == map.y)
        #expect(canvas[unit.x + unit.width / 2, unit.y - 1] == red)
    }

    /// LeNet-5's pool2 units on the 28×28 input: the Araujo, Norris and Sim recurrences by hand (conv1 5×5 pad 2,
    /// pool 2/2, conv2 5×5, pool 2/2: r = 1 + 4 + 1 + 4·2 + 1·2 = 16, jump 1·1·2·1·2 = 4, leading padding 2·1 = 2)
    /// put unit (y, x) on rows 4y − 2 … 4y + 13 and columns 4x − 2 … 4x + 13. The analysis must give that
    /// span, and the picture its box: outline from exactly the first to exactly the last pixel of those
    /// rows and columns (red inside, not red just outside), padding hatched above or left of the image.
    @Test(arguments: [(0, 0), (2, 3), (4, 4), (1, 4)])
    func lenetBoxMatchesTheRecurrences(y: Int, x: Int) throws {
        let model = try Model.load(contentsOf: ModelFixtures.url("lenet5-mnist.onnx"))
        let analysis = try model.graph.analysed(channels: 1, height: 28, width: 28)
        let pool2 = try #require(analysis.layers.last { $0.op == "MaxPool" })
        let field = try #require(pool2.field.field)
        let span = field.span(ofUnit: y, x)
        #expect(span.rows == (4 * y - 2)...(4 * y + 13) && span.columns == (4 * x - 2)...(4 * x + 13))
        let image = Image(width: 28, height: 28, channels: 1, repeating: 128)
        let mark = ReceptiveFieldPicture.Mark(label: "#1", rows: span.rows, columns: span.columns, unit: MapUnit(channel: 0, y: y, x: x))
        let (drawing, layout) = try ReceptiveFieldPicture.draw(image: image, marks: [mark], map: nil, title: "t", caption: "c")
        let canvas = try drawing.rendered()
        let s = layout.scale, red = ReceptiveFieldPicture.palette[0]
        let (left, top) = (layout.image.x + (4 * x - 2) * s, layout.image.y + (4 * y - 2) * s)
        let (right, bottom) = (left + 16 * s - 1, top + 16 * s - 1)  // last pixels inside the box
        #expect(layout.boxes[0] == PixelRect(x: left, y: top, width: 16 * s, height: 16 * s))
        let midY = top + 5 * s + 1, midX = left + 5 * s + 1  // away from the label tag and the centre cross
        #expect(canvas[left, midY] == red && canvas[left - 1, midY] != red)
        #expect(canvas[right, midY] == red && canvas[right + 1, midY] != red)
        #expect(canvas[midX, top] == red && canvas[midX, top - 1] != red)
        #expect(canvas[midX, bottom] == red && canvas[midX, bottom + 1] != red)
        // Two pixels in, the grey input (or the hatch of the padding) shows.
        #expect(canvas[left + 2, midY + 3 * s] != red && canvas[right - 2, midY + 3 * s] != red)
        if y == 0 {
            let hatch = canvas.colors(in: PixelRect(x: midX, y: top + 4, width: 4 * s, height: 2 * s - 8))
            #expect(Self.isHatch(hatch))
        }
    }

    /// Wiring test: checks the effective field is drawn as a heat map inside the box with the magma
    /// colormap at 85 %; the colours are featmap's own colormap, the pixel positions by hand.
    @Test func effectiveFieldIsAHeatMapInsideTheBox() throws {
        // Gradient magnitude peaking at pixel (3, 12), zero elsewhere.
        var effective = [Float](repeating: 0, count: 400)
        effective[3 * 20 + 12] = 2
        effective[3 * 20 + 13] = 0.5
        let (drawing, layout) = try Self.picture(effective: effective)
        let canvas = try drawing.rendered()
        let s = layout.scale
        let peak = canvas[layout.image.x + 12 * s + s / 2, layout.image.y + 3 * s + 3]
        let weak = canvas[layout.image.x + 13 * s + s / 2, layout.image.y + 3 * s + 3]
        // Peak: 0.15·128 + 0.85·magma(1) = (0.15·128 + 0.85·252, …) — brighter and redder than the grey;
        // within 2 levels, as the overlay's alpha is stored in 8 bits (217/255 for 0.85) and premultiplied.
        let top = Colormap.magma.rgb(at: 1)
        let expected = [top.r, top.g, top.b].map { 0.15 * 128 + 0.85 * Float($0) }
        let got = [peak.r, peak.g, peak.b].map(Float.init)
        #expect(zip(expected, got).allSatisfy { abs($0 - $1) <= 2 }, "\(got) against \(expected)")
        #expect(weak != RGB(grey: 128) && weak != peak)
        #expect(canvas[layout.image.x + 10 * s + s / 2, layout.image.y + 4 * s + 3] == RGB(grey: 128))
    }
}
