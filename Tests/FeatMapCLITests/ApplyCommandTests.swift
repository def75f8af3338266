import FeatMapKit
import Foundation
import Testing

/// `featmap apply` run as a user would, on committed fixtures.
@Suite struct ApplyCommandTests {
    static let sobelX = "3x3: 1 0 -1 2 0 -2 1 0 -1"

    func npy(_ url: URL) throws -> Tensor {
        try NPY.decode([UInt8](Data(contentsOf: url)), source: url.path)
    }

    // The foundation issue's 4×4 example, worked by hand:
    // top-left window 1·1 + 2·5 + 1·9 − (3 + 2·7 + 2) = 1, and likewise −8, 10, −8.
    @Test func correlationOfTheFourByFourExample() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("r.npy")
        let r = try CLI.run(["apply", Self.sobelX, CLI.fixture("tiny4x4.png").path, "--padding", "valid", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try npy(out)
        #expect(t.shape == [2, 2])
        #expect(t.storage == [1, -8, 10, -8])
    }

    @Test func convolveFlipsTheKernel() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("r.npy")
        let r = try CLI.run(["apply", Self.sobelX, CLI.fixture("tiny4x4.png").path, "--padding", "valid", "--convolve", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try npy(out).storage == [-1, 8, -10, 8])
    }

    // ⌊(4 + 2 − 2·(3−1) − 1)/1⌋ + 1 = 2 with padding 1 and dilation 2; stride 2 on same padding gives 2×2.
    @Test func outputSizeFollowsPaddingStrideDilation() throws {
        let dir = try CLI.temporaryDirectory()
        let a = dir.appendingPathComponent("a.npy"), b = dir.appendingPathComponent("b.npy")
        let tiny = CLI.fixture("tiny4x4.png").path
        #expect(try CLI.run(["apply", "box:3", tiny, "--padding", "1", "--dilation", "2", "-o", a.path]).status == 0)
        #expect(try npy(a).shape == [2, 2])
        #expect(try CLI.run(["apply", "box:3", tiny, "--stride", "2", "-o", b.path]).status == 0)
        #expect(try npy(b).shape == [2, 2])
        // Identity with stride 2 keeps every other pixel: 1 3 / 9 2.
        let c = dir.appendingPathComponent("c.npy")
        #expect(try CLI.run(["apply", "identity", tiny, "--stride", "2", "-o", c.path]).status == 0)
        #expect(try npy(c).storage == [1, 3, 9, 2])
    }

    @Test func defaultNameIsInputStemDashKernelInCurrentFolder() throws {
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("photo.png")
        try FileManager.default.copyItem(at: CLI.fixture("ok/photo.png"), to: input)
        let r = try CLI.run(["apply", "sobel", "photo.png"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let bytes = try Data(contentsOf: dir.appendingPathComponent("photo-sobel.png"))
        let image = try ImageDecoder.decode([UInt8](bytes), source: "photo-sobel.png")
        let source = try ImageDecoder.decode([UInt8](Data(contentsOf: input)), source: "photo.png")
        #expect(image.width == source.width && image.height == source.height)
        #expect(try CLI.run(["apply", "gaussian:1.5", "photo.png"], in: dir).status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("photo-gaussian-1.5.png").path))
    }

    @Test func sixteenBitInputGivesSixteenBitOutput() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("o.png")
        let r = try CLI.run(["apply", "identity", CLI.fixture("ok/gray16.png").path, "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let a = try ImageDecoder.decode([UInt8](Data(contentsOf: out)), source: "o.png")
        let b = try ImageDecoder.decode([UInt8](Data(contentsOf: CLI.fixture("ok/gray16.png"))), source: "in")
        #expect(a.bitDepth == 16)
        #expect(a.samples == b.samples)
    }

    @Test func alphaPassesThroughUnfiltered() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("o.png")
        let r = try CLI.run(["apply", "box:5", CLI.fixture("ok/rgba.png").path, "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let a = try ImageDecoder.decode([UInt8](Data(contentsOf: out)), source: "o.png")
        let b = try ImageDecoder.decode([UInt8](Data(contentsOf: CLI.fixture("ok/rgba.png"))), source: "in")
        #expect(a.channels == 4)
        #expect(a.alphaPlane == b.alphaPlane)
    }

    @Test func standardInputToStandardOutputEqualsFileToFile() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("o.png")
        let photo = CLI.fixture("ok/photo.jpg")
        #expect(try CLI.run(["apply", "sobel", photo.path, "-o", out.path]).status == 0)
        let piped = try CLI.run(["apply", "sobel", "-", "-o", "-"], stdin: try Data(contentsOf: photo))
        #expect(piped.status == 0, "\(piped.stderr)")
        let pipedImage = try ImageDecoder.decode([UInt8](piped.stdout), source: "piped")
        #expect(try pipedImage == ImageDecoder.decode([UInt8](Data(contentsOf: out)), source: "o.png"))
    }

    @Test(arguments: ["jpg", "npy", "png"])
    func formatFollowsTheExtension(ext: String) throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("o.\(ext)")
        #expect(try CLI.run(["apply", "sharpen", CLI.fixture("ok/photo.png").path, "-o", out.path]).status == 0)
        let bytes = [UInt8](try Data(contentsOf: out))
        #expect(ImageFormat.detect(bytes) == ImageFormat.fromExtension(out.path))
    }

    @Test func jsonLineDescribesTheRun() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("o.png")
        let r = try CLI.run(["apply", "sobel-x", CLI.fixture("tiny4x4.png").path, "-o", out.path, "--json"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdoutText.utf8)) as? [String: Any]
        #expect(obj?["outputs"] as? [String] == [out.path])
        #expect(obj?["width"] as? Int == 4)
        let stats = obj?["statistics"] as? [String: Any]
        #expect(stats?["min"] != nil)
    }
}
