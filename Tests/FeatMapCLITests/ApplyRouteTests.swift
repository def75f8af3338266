import FeatMapKit
import Foundation
import Testing

/// `featmap apply` with a large non-separable kernel (the FFT route) and `FEATMAP_ROUTE`, through the
/// real binary on Fixtures/ok/photo.png: bands write what the whole image writes, the forced direct
/// window gives the same responses within 1e-4 of the largest, and an unknown or impossible route is one
/// clear line and no output file.
@Suite struct ApplyRouteTests {
    /// A 21×21 kernel of values in [−1, 1) from a fixed sequence, in featmap's kernel format.
    static func kernelFile(in dir: URL) throws -> URL {
        var state: UInt64 = 2121
        var text = "name: random21\n"
        for _ in 0..<21 {
            let row = (0..<21).map { _ -> String in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return String(Float(state >> 40) / Float(1 << 24) * 2 - 1)
            }
            text += row.joined(separator: " ") + "\n"
        }
        let url = dir.appendingPathComponent("random21.txt")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func environment(_ route: String?) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["FEATMAP_ROUTE"] = route
        return env
    }

    @Test(arguments: ["replicate", "wrap", "zero"])
    func fftMatchesDirectAndBandsMatchWhole(border: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kernel = try Self.kernelFile(in: dir).path, photo = CLI.fixture("ok/photo.png").path
        let banded = dir.appendingPathComponent("banded.npy"), direct = dir.appendingPathComponent("direct.npy")
        let args = ["apply", kernel, photo, "--border", border]
        // Forced, so that the test cannot pass on the direct window alone (FFTConvolutionTests checks the choice by cost).
        let b = try CLI.run(args + ["-o", banded.path], environment: Self.environment("fft"))
        #expect(b.status == 0, "\(b.stderr)")
        let whole = try CLI.run(args + ["-o", "-", "--format", "npy"], environment: Self.environment("fft"))
        #expect(whole.status == 0, "\(whole.stderr)")
        let d = try CLI.run(args + ["-o", direct.path], environment: Self.environment("direct"))
        #expect(d.status == 0, "\(d.stderr)")
        let fft = try NPY.decode([UInt8](Data(contentsOf: banded)), source: "banded")
        #expect(try fft == NPY.decode([UInt8](whole.stdout), source: "whole"))
        let reference = try NPY.decode([UInt8](Data(contentsOf: direct)), source: "direct")
        #expect(fft.shape == reference.shape)
        let largest = reference.storage.reduce(0) { max($0, abs($1)) }
        let difference = zip(fft.storage, reference.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
        #expect(largest > 0 && difference <= 1e-4 * largest, "\(difference) of \(largest)")
    }

    @Test(arguments: [("fast", [String](), "FEATMAP_ROUTE is 'fast'"),
                      ("fft", ["--stride", "2"], "FEATMAP_ROUTE=fft"),
                      ("toeplitz", [], "FEATMAP_ROUTE=toeplitz")])
    func unknownOrImpossibleRouteIsOneLine(route: String, extra: [String], message: String) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.png")
        let r = try CLI.run(["apply", try Self.kernelFile(in: dir).path, CLI.fixture("ok/photo.png").path, "-o", out.path] + extra,
                            environment: Self.environment(route))
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
