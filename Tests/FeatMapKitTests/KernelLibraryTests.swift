import Foundation
import Testing
@testable import FeatMapKit

/// Built-in names, parameters and their errors; kernel values by hand.
@Suite struct KernelLibraryTests {
    @Test func everyBuiltinResolvesWithItsUsageExample() throws {
        let examples = ["box:N": "box:3", "gaussian:SIGMA[:SIZE]": "gaussian:1", "unsharp:AMOUNT:SIGMA": "unsharp:1:1",
                        "log:SIGMA[:SIZE]": "log:1"]
        for b in KernelLibrary.builtins {
            let filter = try KernelLibrary.resolve(examples[b.usage] ?? b.usage)
            #expect(!filter.kernels.isEmpty && !b.summary.isEmpty)
        }
        #expect(KernelLibrary.builtins.count == 20)
    }

    // cv2.getDerivKernels(1, 0, 3): kx = [−1 0 1], ky = [1 2 1]; filter2D correlates with ky ⊗ kx.
    @Test func sobelOrientationFollowsOpenCV() throws {
        #expect(Kernel.sobelX.values == [-1, 0, 1, -2, 0, 2, -1, 0, 1])
        #expect(Kernel.sobelY.values == [-1, -2, -1, 0, 0, 0, 1, 2, 1])
        #expect(Kernel.scharrX.values == [-3, 0, 3, -10, 0, 10, -3, 0, 3])
        #expect(Kernel.prewittY.values == [-1, -1, -1, 0, 0, 0, 1, 1, 1])
        let sobel = try KernelLibrary.resolve("sobel")
        #expect(sobel.combinesMagnitude && sobel.kernels.count == 2 && sobel.defaultMode == .clamp)
        #expect(try KernelLibrary.resolve("sobel-x").defaultMode == .abs)
    }

    @Test func defaultModes() throws {
        for name in ["identity", "box:3", "gaussian:2", "sharpen", "unsharp:1:2", "emboss", "scharr", "prewitt"] {
            #expect(try KernelLibrary.resolve(name).defaultMode == .clamp, "\(name)")
        }
        for name in ["laplacian", "laplacian8", "edge", "vertical-line", "scharr-y", "prewitt-x"] {
            #expect(try KernelLibrary.resolve(name).defaultMode == .abs, "\(name)")
        }
        #expect(try KernelLibrary.resolve("log:2").defaultMode == .normalize)
    }

    // 2·⌈3σ⌉ + 1: σ = 10 → 61, σ = 1.5 → 11, σ = 0.3 → 3.
    @Test func gaussianSizes() throws {
        #expect(try KernelLibrary.resolve("gaussian:10").kernels[0].width == 61)
        #expect(try KernelLibrary.resolve("gaussian:1.5").kernels[0].height == 11)
        #expect(try KernelLibrary.resolve("gaussian:0.3").kernels[0].width == 3)
        #expect(try KernelLibrary.resolve("gaussian:2:5").kernels[0].width == 5)
    }

    // 1-D: exp(−x²/2σ²) at x = −1, 0, 1 with σ = 1: e^−½, 1, e^−½, over their sum.
    @Test func gaussianValuesByHand() throws {
        let k = try KernelLibrary.resolve("gaussian:1:3").kernels[0]
        let e = exp(-0.5), s = 1 + 2 * e
        let g = [e / s, 1 / s, e / s]
        for y in 0..<3 { for x in 0..<3 { #expect(abs(Double(k[y, x]) - g[y] * g[x]) < 1e-7) } }
        #expect(abs(k.sum - 1) < 1e-6)
    }

    // (1 + a)·δ − a·G with a = 2, G the 3×3 Gaussian above: centre 3 − 2·(1/s)², corner −2·(e/s)².
    @Test func unsharpByHand() throws {
        let k = try KernelLibrary.resolve("unsharp:2:0.3").kernels[0]
        let e = exp(-0.5 / 0.09), s = 1 + 2 * e
        #expect(k.width == 3)
        #expect(abs(Double(k[1, 1]) - (3 - 2 / (s * s))) < 1e-6)
        #expect(abs(Double(k[0, 0]) + 2 * e * e / (s * s)) < 1e-6)
        #expect(abs(k.sum - 1) < 1e-6)
    }

    @Test func laplacianOfGaussianSumsToZeroWithNegativeCentre() throws {
        let k = try KernelLibrary.resolve("log:1.4").kernels[0]
        #expect(k.width == 11)
        #expect(abs(k.sum) < 1e-6)
        #expect(k[5, 5] == k.values.min())
        #expect(k[5, 5] < 0 && k[0, 0] > 0)
    }

    @Test func boxValues() throws {
        let k = try KernelLibrary.resolve("box:4").kernels[0]
        #expect(k.values == [Float](repeating: 1 / 16, count: 16))
    }

    @Test(arguments: [
        ("sobelx", ["sobel-x"]), ("sobel_y", ["sobel-y"]), ("gausian:2", ["gaussian"]), ("laplace", ["laplacian"]),
        ("scharx", ["scharr-x"]), ("embos", ["emboss"]),
    ])
    func unknownNamesSuggestTheNearest(spec: String, suggestions: [String]) {
        let e = #expect(throws: KernelError.self) { try KernelLibrary.resolve(spec) }
        let text = e?.description ?? ""
        let list = text.components(separatedBy: "did you mean ").last?.components(separatedBy: "?").first ?? ""
        for s in suggestions { #expect(list.components(separatedBy: ", ").contains(s), "\(text)") }
        #expect(text.contains("featmap kernels"))
    }

    @Test(arguments: [
        ("gaussian", "gaussian takes 1 to 2 parameters: gaussian:SIGMA[:SIZE]"),
        ("gaussian:-1", "SIGMA in gaussian:SIGMA[:SIZE] must be a positive number, got '-1'"),
        ("gaussian:2:4", "must be an odd whole number"),
        ("gaussian:500", "needs more than 1025 taps"),
        ("box:0", "the size in box:N must be a whole number"),
        ("box:2.5", "got '2.5'"),
        ("sobel:3", "sobel takes no parameters"),
        ("unsharp:1", "unsharp takes 2 parameters"),
        ("unsharp:x:2", "AMOUNT in unsharp:AMOUNT:SIGMA must be a number"),
    ])
    func badParameters(spec: String, message: String) {
        let e = #expect(throws: KernelError.self) { try KernelLibrary.resolve(spec) }
        #expect(e?.description.contains(message) == true, "\(e?.description ?? "")")
    }

    @Test func editDistance() {
        #expect(KernelLibrary.editDistance("sobelx", "sobel-x") == 1)
        #expect(KernelLibrary.editDistance("kitten", "sitting") == 3)
        #expect(KernelLibrary.editDistance("", "abc") == 3)
    }

    @Test func fileKernelsListsTxtAndMatSorted() {
        let dir = FilterFixtures.url("kernels").path
        let names = KernelLibrary.fileKernels(in: dir).map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names.first == "anchor.txt")
        #expect(names.contains("sobel4.mat"))
        #expect(names == names.sorted())
        #expect(KernelLibrary.fileKernels(in: "/no/such/dir").isEmpty)
    }
}
