import FeatMapKit
import Foundation
import Testing

/// `apply` to a file runs in bands of rows; to standard output, and with --map normalize, it runs on
/// the whole image. Both must write the same bytes (for PNG, the same pixels), through the real binary, for PNG, JPEG and NPY,
/// colour, 16-bit grey and a JPEG input (fixtures: Fixtures/ok, see its README).
@Suite struct ApplyStreamingTests {
    @Test(arguments: [
        (["sobel", "ok/photo.png"], "png"),
        (["gaussian:3", "ok/photo.jpg", "--border", "reflect", "--stride", "2"], "jpg"),
        (["sobel-y", "ok/gray16.png", "--padding", "3,0,1,1", "--border", "zero"], "png"),
        (["box:4", "ok/photo.png", "--gray", "--dilation", "2"], "npy"),
        (["laplacian", "ok/rgba.png", "--scale", "0.7", "--bias", "3"], "png"),
        (["emboss", "ok/rgba.png", "--stride", "3,2"], "jpg"),
        (["sharpen", "ok/gray16.png", "--depth", "8", "--map", "offset"], "png"),
    ])
    func bandsWriteWhatTheWholeImagePathWrites(arguments: [String], format: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var args = arguments
        args[1] = CLI.fixture(args[1]).path
        let file = dir.appendingPathComponent("out.\(format)")
        let banded = try CLI.run(["apply"] + args + ["-o", file.path])
        #expect(banded.status == 0, "\(banded.stderr)")
        let whole = try CLI.run(["apply"] + args + ["-o", "-", "--format", format == "jpg" ? "jpeg" : format])
        #expect(whole.status == 0, "\(whole.stderr)")
        let written = try Data(contentsOf: file)
        #expect(!written.isEmpty)
        if format == "png" {
            // PNG: the same pixels (see CodecPNGStreamTests.bytesDoNotDependOnHowRowsAreSplit).
            let a = try ImageDecoder.decode([UInt8](written), source: "banded"), b = try ImageDecoder.decode([UInt8](whole.stdout), source: "whole")
            #expect(a == b)
        } else {
            #expect(written == whole.stdout)
        }
    }

    @Test func normalizeStillWorks() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("n.png")
        let r = try CLI.run(["apply", "sobel-x", CLI.fixture("ok/photo.png").path, "--map", "normalize", "-o", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        let whole = try CLI.run(["apply", "sobel-x", CLI.fixture("ok/photo.png").path, "--map", "normalize", "-o", "-"])
        let a = try ImageDecoder.decode([UInt8](Data(contentsOf: file)), source: "banded")
        #expect(try a == ImageDecoder.decode([UInt8](whole.stdout), source: "whole"))
    }
}
