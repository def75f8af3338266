import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import CZlib
import Testing
@testable import FeatMapKit

/// The pictures as files: PNG renders against committed references, and the structure of the SVG and
/// PDF versions of the same drawings.
///
/// The references in Fixtures/render/reference/ are featmap's own renders, reviewed by eye when they
/// were made; they catch a change of layout, colour or font. Other versions of Cairo, pixman or
/// FreeType may shade anti-aliased edges differently, so a render matches when at most 2 % of its
/// pixels differ by more than 24 levels in a channel and the mean difference is under 2 levels.
/// To remake them after an intended change: FEATMAP_UPDATE_RENDER_REFERENCES=1 swift test --filter RenderOutputTests
@Suite struct RenderOutputTests {
    /// Drawings covering every kind of mark: text at three sizes, hatching, heat overlay with alpha,
    /// colour bars, nearest-neighbour rasters, nested (and shrunk) drawings.
    static func samples() throws -> [(String, Drawing)] {
        let sobel = try KernelPicture.draw(values: [1, 0, -1, 2, 0, -2, 1, 0, -1], width: 3, height: 3, title: "sobel-x").drawing

        var effective = [Float](repeating: 0, count: 20 * 20)
        for y in 0..<8 { for x in 8..<16 { effective[y * 20 + x] = Float((y + 1) * (x - 7)) } }
        let gradient = Image(width: 20, height: 20, channels: 1, bitDepth: 8, samples: (0..<400).map { Float(($0 % 20) * 12) })
        let field = try ReceptiveFieldPicture.draw(
            image: gradient,
            marks: [.init(label: "#1 conv2 c0 (0,2): rows −2…5, columns 8…15", rows: -2...5, columns: 8...15,
                          unit: MapUnit(channel: 0, y: 0, x: 2), effective: effective)],
            map: .init(values: (0..<25).map { Float($0) - 12 }, width: 5, height: 5, caption: "conv2 channel 0, 5×5"),
            title: "receptive field of conv2 (Conv)", caption: "field 8×8 px, jump 4").drawing

        let pooling = Pooling(kind: .max, kernel: Pair(2, 2), padding: Padding(top: 1, bottom: 1, left: 1, right: 1))
        let input = (0..<36).map { Float(($0 * 7) % 11) }
        let output = try pooling.applied(to: Tensor(shape: [1, 6, 6], storage: input)).storage
        let winners = try pooling.winners(plane: input[...], height: 6, width: 6, skippingTies: true)
        let pool = try PoolingPicture.draw(rows: [.init(label: "c0", input: input, output: output, winners: winners)],
                                           height: 6, width: 6, pooling: pooling, title: "max pooling 2×2, padding 1",
                                           caption: "red = the cell that wins its window").drawing

        let maps = Tensor(shape: [6, 4, 4], storage: (0..<96).map { Float(($0 * 37) % 23) - 11 })
        let grid = try FeatureGrid.draw(maps, title: "conv1 · Conv").drawing

        let filters = Tensor(shape: [4, 3, 3, 3], storage: (0..<108).map { Float(($0 * 13) % 17) - 8 })
        let filterGrid = try FilterGrid.draw(weights: filters, title: "conv1").drawing

        var overview = Overview(title: "overview", maximumPictureWidth: 100)
        overview.addInput(gradient, lines: ["input", "1×20×20"])
        overview.add(grid, lines: ["conv1", "Conv", "6×4×4", "RF 3×3 px", "stride 1"])
        let (overviewDrawing, _) = try overview.draw()

        return [("kernel-sobel", sobel), ("rf-heat", field), ("pool-padded", pool), ("grid-signed", grid),
                ("filters-colour", filterGrid), ("overview", overviewDrawing)]
    }

    static let referenceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/render/reference")

    @Test func pngRendersMatchTheReferences() throws {
        let update = ProcessInfo.processInfo.environment["FEATMAP_UPDATE_RENDER_REFERENCES"] == "1"
        for (name, drawing) in try Self.samples() {
            let image = try drawing.image()
            if update {
                try FileManager.default.createDirectory(at: Self.referenceFolder, withIntermediateDirectories: true)
                try ImageEncoder.write(image, as: .png(depth: 8), to: Self.referenceFolder.appendingPathComponent(name + ".png").path)
                continue
            }
            let reference = try ImageDecoder.decode(path: try RenderFixtures.url("reference/\(name).png").path)
            #expect(reference.width == image.width && reference.height == image.height && reference.channels == 3,
                    "\(name): \(image.width)×\(image.height) against the reference's \(reference.width)×\(reference.height)")
            guard reference.samples.count == image.samples.count else { continue }
            var far = 0, total: Float = 0
            let pixels = image.width * image.height
            for p in 0..<pixels {
                var worst: Float = 0
                for c in 0..<3 {
                    let d = abs(image.samples[p * 3 + c] - reference.samples[p * 3 + c])
                    worst = max(worst, d)
                    total += d
                }
                if worst > 24 { far += 1 }
            }
            let mean = total / Float(pixels * 3)
            #expect(Float(far) <= 0.02 * Float(pixels) && mean < 2,
                    "\(name): \(far) of \(pixels) pixels differ by more than 24 levels, mean difference \(mean)")
        }
    }

    /// A canvas written as PNG (the bytes go straight to the encoder) decodes to exactly its pixels, and
    /// a drawing's PNG file holds exactly its render.
    @Test func canvasPNGHoldsItsPixelsExactly() throws {
        var canvas = Canvas(width: 37, height: 23)
        for y in 0..<23 { for x in 0..<37 { canvas[x, y] = RGB(UInt8(x * 7 % 256), UInt8(y * 11 % 256), UInt8((x * y) % 256)) } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("featmap-canvas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("c.png").path
        try canvas.writePNG(to: path)
        let back = try ImageDecoder.decode(path: path)
        #expect(back.width == 37 && back.height == 23 && back.channels == 3 && back.bitDepth == 8)
        #expect(back.samples == canvas.pixels.map { Float($0) })
        var drawing = Drawing(width: 60, height: 30)
        drawing.fillRect(x: 3, y: 4, width: 20, height: 9, color: RGB(200, 30, 90))
        drawing.text("featmap", x: 25, y: 5, color: .black)
        let file = dir.appendingPathComponent("d.png").path
        try drawing.write(to: file)
        #expect(try ImageDecoder.decode(path: file).samples == drawing.rendered().pixels.map { Float($0) })
    }

    /// A pixel-exact raster in the PNG: every map value a whole block of its colour, edges included.
    @Test func mapsStayPixelExactWhenEnlarged() throws {
        let maps = Tensor(shape: [1, 3, 3], storage: [0, 1, 2, 3, 4, 5, 6, 7, 8])
        let (drawing, layout) = try FeatureGrid.draw(maps, title: "m", options: .init(normalization: .layer))
        let canvas = try drawing.rendered()
        for y in 0..<3 { for x in 0..<3 {
            let block = layout.block(channel: 0, x: x, y: y)
            #expect(canvas.isFilled(block, with: Colormap.viridis.rgb(at: Float(y * 3 + x) / 8)), "block (\(x), \(y))")
        } }
    }

    #if canImport(FoundationXML)
    /// The elements of an XML document with their attributes and text, from Foundation's XMLParser
    /// (libxml2), which fails on any document that is not well-formed.
    final class Elements: NSObject, XMLParserDelegate {
        struct Element { var name: String; var attributes: [String: String]; var text = "" }
        var all: [Element] = []
        var open: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            open.append(all.count)
            all.append(Element(name: name, attributes: attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let i = open.last { all[i].text += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }
        static func parse(_ bytes: [UInt8]) throws -> [Element] {
            let parser = XMLParser(data: Data(bytes))
            let elements = Elements()
            parser.delegate = elements
            guard parser.parse() else {
                throw RenderError.invalidParameter("not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")")
            }
            return elements.all
        }
    }

    @Test func svgIsWellFormedWithRealTextAndPixelatedRasters() throws {
        for (name, drawing) in try Self.samples() {
            let elements = try Elements.parse(try drawing.vectorData(.svg))
            let root = try #require(elements.first)
            #expect(root.name == "svg" && root.attributes["width"] == "\(drawing.width)"
                    && root.attributes["height"] == "\(drawing.height)", "\(name): \(root)")
            let texts = elements.filter { $0.name == "text" }, images = elements.filter { $0.name == "image" }
            #expect(!texts.isEmpty && !images.isEmpty, "\(name)")
            for image in images {
                #expect(image.attributes["style"] == "image-rendering:pixelated")
                let href = try #require(image.attributes["xlink:href"])
                let prefix = "data:image/png;base64,"
                #expect(href.hasPrefix(prefix))
                let png = try #require(Data(base64Encoded: String(href.dropFirst(prefix.count))))
                let decoded = try ImageDecoder.decode(Array(png), source: "\(name) SVG image")
                // Drawn size = pixels × a whole enlargement factor.
                let w = Int(image.attributes["width"] ?? "") ?? -1, h = Int(image.attributes["height"] ?? "") ?? -1
                #expect(w > 0 && h > 0 && w % decoded.width == 0 && h % decoded.height == 0 && w / decoded.width == h / decoded.height,
                        "\(name): \(decoded.width)×\(decoded.height) drawn \(w)×\(h)")
            }
        }
        // The text is the labels themselves, searchable as written.
        let rf = try Self.samples().first { $0.0 == "rf-heat" }!.1
        let texts = try Elements.parse(try rf.vectorData(.svg)).filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("receptive field of conv2 (Conv)"))
        #expect(texts.contains("#1 conv2 c0 (0,2): rows −2…5, columns 8…15"))
    }

    /// Text that XML would choke on is escaped: the parsed text equals what was drawn.
    @Test func svgEscapesMarkupInLabels() throws {
        var drawing = Drawing(width: 100, height: 20)
        drawing.text("a<b & \"c\" > d", x: 0, y: 0, color: .black)
        let texts = try Elements.parse(try drawing.vectorData(.svg)).filter { $0.name == "text" }.map(\.text)
        #expect(texts == ["a<b & \"c\" > d"])
    }
    #endif

    /// PDF: a header, one page of the picture's size at 0.75 pt per pixel, the bundled font embedded
    /// (TrueType subset with a ToUnicode map, so text can be searched and copied), and a valid trailer.
    @Test func pdfHasOnePageWithTheFontEmbedded() throws {
        let (_, drawing) = try Self.samples().first { $0.0 == "rf-heat" }!
        let pdf = try drawing.vectorData(.pdf)
        let text = String(decoding: pdf, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1."))
        #expect(text.hasSuffix("%%EOF\n") || text.hasSuffix("%%EOF"))
        #expect(text.components(separatedBy: "/Type /Page\n").count - 1 + text.components(separatedBy: "/Type /Page ").count - 1 == 1)
        let box = "/MediaBox [ 0 0 \(SVGWriter.n(Double(drawing.width) * 0.75)) \(SVGWriter.n(Double(drawing.height) * 0.75)) ]"
        #expect(text.contains(box), "expected \(box)")
        #expect(text.contains("DejaVuSans") && text.contains("/FontFile2") && text.contains("/ToUnicode"))
        #expect(text.contains("/Creator (featmap)"))
        // The page's content is a deflated stream that inflates (zlib) to drawing operators with text in it.
        let streams = Self.streams(in: pdf)
        #expect(streams.contains { $0.contains("BT") && $0.contains("Tf") && $0.contains(" re") })
    }

    /// Every `stream … endstream` of a PDF, inflated where it is Flate-encoded.
    static func streams(in pdf: [UInt8]) -> [String] {
        var out: [String] = []
        let start = Array("stream\n".utf8), end = Array("endstream".utf8)
        var i = 0
        while let s = find(start, in: pdf, from: i) {
            let body = s + start.count
            guard let e = find(end, in: pdf, from: body) else { break }
            let data = Array(pdf[body..<e])
            if let inflated = inflate(data) { out.append(String(decoding: inflated, as: UTF8.self)) }
            i = e + end.count
        }
        return out
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard needle.count <= hay.count else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && Array(hay[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }

    static func inflate(_ data: [UInt8]) -> [UInt8]? {
        var size = max(1 << 16, data.count * 8)
        for _ in 0..<6 {
            var out = [UInt8](repeating: 0, count: size)
            var outLength = uLongf(size)
            let status = data.withUnsafeBufferPointer { src in
                uncompress(&out, &outLength, src.baseAddress, uLong(data.count))
            }
            if status == Z_OK { return Array(out[0..<Int(outLength)]) }
            if status != Z_BUF_ERROR { return nil }
            size *= 4
        }
        return nil
    }

    /// A picture taller than Cairo's 32,767-pixel surfaces renders in tiles without seams.
    @Test func tallDrawingsRenderInTiles() throws {
        var drawing = Drawing(width: 4, height: CairoRenderer.tile * 2 + 5)
        drawing.fillRect(x: 0, y: CairoRenderer.tile - 1, width: 3, height: 2, color: RGB(255, 0, 0))
        drawing.blit(map: [0, 1], width: 1, height: 2, x: 1, y: CairoRenderer.tile * 2 - 2, scale: 3, colormap: .grey,
                     range: ValueRange(low: 0, high: 1))
        let canvas = try drawing.rendered()
        #expect(canvas.rgb(0, CairoRenderer.tile - 1) == RGB(255, 0, 0) && canvas.rgb(2, CairoRenderer.tile) == RGB(255, 0, 0))
        #expect(canvas.rgb(0, CairoRenderer.tile - 2) == .white && canvas.rgb(0, CairoRenderer.tile + 1) == .white)
        // The 3× enlarged map crosses the second tile edge: rows −2…0 of it black, 1…3 white.
        #expect(canvas.rgb(1, CairoRenderer.tile * 2 - 2) == .black && canvas.rgb(3, CairoRenderer.tile * 2) == .black)
        #expect(canvas.rgb(1, CairoRenderer.tile * 2 + 1) == .white && canvas.rgb(3, CairoRenderer.tile * 2 + 3) == .white)
        #expect(canvas.rgb(0, CairoRenderer.tile * 2) == .white)
    }

    @Test func outputFormatsFollowTheExtension() throws {
        #expect(try PictureFormat.forOutput("a/b.SVG") == .svg && PictureFormat.forOutput("x.pdf") == .pdf)
        #expect(try PictureFormat.forOutput("plain") == .png && PictureFormat.forOutput("-", fallback: .svg) == .svg)
        #expect(try PictureFormat.forOutput("dir.v2/plain", fallback: .pdf) == .pdf)
        #expect(throws: RenderError.self) { try PictureFormat.forOutput("x.jpg") }
    }
}
