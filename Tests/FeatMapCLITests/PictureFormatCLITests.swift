import Foundation
import Testing

/// Pictures as PNG, SVG or PDF from the commands that draw them, chosen by -o's extension or
/// --image-format; anything else is refused before work starts and leaves no file.
@Suite struct PictureFormatCLITests {
    static func text(_ url: URL) throws -> String { String(decoding: try Data(contentsOf: url), as: UTF8.self) }

    @Test func rfWritesSVGWithRealTextAndPDF() throws {
        let dir = try CLI.temporaryDirectory()
        let svg = dir.appendingPathComponent("field.svg"), pdf = dir.appendingPathComponent("field.pdf")
        for out in [svg, pdf] {
            let r = try CLI.run(["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                                 "--layer", "conv2", "-o", out.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let s = try Self.text(svg)
        #expect(s.hasPrefix("<?xml") && s.contains("<svg ") && s.hasSuffix("</svg>\n"))
        #expect(s.contains(">receptive field of conv2 (Conv)</text>"))
        #expect(s.contains("data:image/png;base64,") && s.contains("image-rendering:pixelated"))
        let p = try Self.text(pdf)
        #expect(p.hasPrefix("%PDF-1.") && p.contains("/FontFile2") && p.contains("%%EOF"))
    }

    @Test func poolFiltersAndKernelsWriteEveryFormat() throws {
        let dir = try CLI.temporaryDirectory()
        let runs: [([String], String)] = [
            (["pool", ModelCommandTests.sample("digit.png"), "-o"], "pool.pdf"),
            (["filters", ModelCommandTests.sample("squeezenet-first.weights"), "-o"], "filters.svg"),
            (["kernels", "show", "sobel", "-o"], "sobel.svg"),
            (["kernels", "show", "gaussian:1", "--png"], "gauss.png"),
        ]
        for (arguments, name) in runs {
            let out = dir.appendingPathComponent(name)
            let r = try CLI.run(arguments + [out.path])
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
            let head = try Data(contentsOf: out).prefix(8)
            switch out.pathExtension {
            case "pdf": #expect(head.starts(with: Array("%PDF-".utf8)), "\(name)")
            case "svg": #expect(head.starts(with: Array("<?xml".utf8)), "\(name)")
            default: #expect(head.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name)")
            }
        }
        // The kernel picture names both kernels of sobel in its text.
        let sobel = try Self.text(dir.appendingPathComponent("sobel.svg"))
        #expect(sobel.contains(">sobel-x  3×3</text>") && sobel.contains(">sobel-y  3×3</text>"))
    }

    @Test func imageFormatNamesTheFilesOfABatch() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                             ModelCommandTests.sample("digit-1.png"), "--layer", "pool1", "--image-format", "svg",
                             "--out-dir", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["digit-1-rf-pool1.svg", "digit-rf-pool1.svg"])
    }

    @Test func otherExtensionsAreRefusedAndLeaveNothing() throws {
        let dir = try CLI.temporaryDirectory()
        for arguments in [["rf", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"), "--layer", "conv1"],
                          ["pool", ModelCommandTests.sample("digit.png")]] {
            let out = dir.appendingPathComponent("picture.jpg")
            let r = try CLI.run(arguments + ["-o", out.path])
            #expect(r.status == 64 && r.stderr.contains(".png, .svg or .pdf"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
        let k = try CLI.run(["kernels", "show", "sobel", "-o", dir.appendingPathComponent("k.tiff").path])
        #expect(k.status != 0 && k.stderr.contains(".png, .svg or .pdf"), "\(k.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}

/// `layers --image-format svg|pdf`: every grid, pooling view and the overview in that format, the
/// overview made of the grids' drawings (still text and rasters, not one big picture); input.png stays.
@Suite struct LayersImageFormatTests {
    @Test func layersWritesEveryPictureAsSVGOrPDF() throws {
        for format in ["svg", "pdf"] {
            let dir = try CLI.temporaryDirectory()
            let r = try CLI.run(["layers", ModelCommandTests.sample("lenet.weights"), ModelCommandTests.sample("digit.png"),
                                 "-o", dir.path, "--pool-views", "--image-format", format])
            #expect(r.status == 0, "\(r.stderr)")
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
            let expected: Set<String> = Set(["01-conv1", "02-relu1", "03-pool1", "04-conv2", "05-relu2", "06-pool2",
                                             "03-pool1-pool", "06-pool2-pool", "overview"].map { "\($0).\(format)" } + ["input.png"])
            #expect(files == expected, "\(files.sorted())")
            if format == "svg" {
                let overview = try PictureFormatCLITests.text(dir.appendingPathComponent("overview.svg"))
                // The document, then the input and each of the six grids placed as a nested drawing; the
                // grids' titles and the side text as <text>.
                #expect(overview.components(separatedBy: "<svg ").count - 1 == 1 + 1 + 6)
                #expect(overview.contains(">conv2 · Conv  16×10×10</text>") && overview.contains(">RF 14×14 px</text>"))
            } else {
                let head = try Data(contentsOf: dir.appendingPathComponent("overview.pdf")).prefix(5)
                #expect(head.elementsEqual(Array("%PDF-".utf8)))
            }
        }
    }
}
