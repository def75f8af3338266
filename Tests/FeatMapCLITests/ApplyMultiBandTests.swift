import FeatMapKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `apply` to a file on an image of many row bands, through the real binary: the input is
/// Fixtures/ok/photo.png tiled to 1283×1401 (each 64×48 tile shifted by 11·row + 5·column of tiles,
/// mod 256, so rows do not repeat), which is 9 bands of 160 rows at stride 1 and 5 at stride 2, and
/// 1283 columns are two 512-column strips and an odd remainder of 259.
///
/// References (Fixtures/stream, made by Tests/scripts/stream_fixtures.py on the same tiled image):
/// OpenCV in float64 (cv2.Sobel, cv2.sepFilter2D with the dilated cv2.getGaussianKernel,
/// cv2.filter2D on np.pad(mode="wrap"), cv2.Laplacian on the float32 Rec. 601 luma), stored as the
/// full output rows 0, 1, the last two and both sides of every band boundary (B − 1 and B for B a
/// multiple of 160), every 13th row and column, and NumPy's min, mean and max of the whole response.
@Suite struct ApplyMultiBandTests {
    struct Manifest: Decodable {
        var width: Int, height: Int, subsample: Int
        var cases: [Case]
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var id: String
        var arguments: [String]
        var outputHeight: Int, outputWidth: Int, channels: Int, span: Int, bandRows: Int, bands: Int
        /// Every product and partial sum is exact in float32, so featmap must equal OpenCV exactly.
        var exact: Bool
        var rows: [Int]
        var min: Double, mean: Double, max: Double, meanAbs: Double
        var testDescription: String { id }
    }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: CLI.fixture("stream/manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    static func reference(_ name: String) throws -> Tensor {
        try NPY.decode([UInt8](Data(contentsOf: CLI.fixture("stream/\(name)"))), source: name)
    }

    /// photo.png tiled as the fixture script tiles it.
    static func tiledPhoto(width: Int, height: Int) throws -> Image {
        let photo = try ImageDecoder.decode([UInt8](Data(contentsOf: CLI.fixture("ok/photo.png"))), source: "photo.png")
        precondition(photo.width == 64 && photo.height == 48 && photo.channels == 3)
        var samples = [Float](repeating: 0, count: width * height * 3)
        photo.samples.withUnsafeBufferPointer { source in
            samples.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    for x in 0..<width {
                        let shift = 11 * (y / 48) + 5 * (x / 64)
                        let from = ((y % 48) * 64 + x % 64) * 3, to = (y * width + x) * 3
                        for c in 0..<3 { out[to + c] = Float((Int(source[from + c]) + shift) % 256) }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, bitDepth: 8, samples: samples)
    }

    /// The tiled image written as a PNG in `dir`.
    static func tiledInput(in dir: URL, width: Int, height: Int) throws -> String {
        let path = dir.appendingPathComponent("tiled-\(width)x\(height).png").path
        try ImageEncoder.write(tiledPhoto(width: width, height: height), as: .png(depth: 8), to: path, pngCompressionLevel: 1)
        return path
    }

    static func allowance(_ c: Case) -> Float {
        c.exact ? 0 : Float(1e-5 * Swift.max(abs(c.min), abs(c.max)) + 1e-3)
    }

    /// Largest difference between featmap's output rows and the reference's, over the stored rows
    /// and the strided subsample; the first differing place is in the message.
    static func compare(_ output: Tensor, with c: Case, allowance: Float) throws {
        let (wo, ch) = (c.outputWidth, c.channels)
        #expect(output.count == c.outputHeight * wo * ch)
        guard output.count == c.outputHeight * wo * ch else { return }
        let rows = try reference("\(c.id)-rows.npy"), sub = try reference("\(c.id)-sub.npy")
        #expect(rows.shape == [c.rows.count, wo, ch])
        var worst: Float = 0, first: String?
        func check(_ value: Float, _ expected: Float, _ where_: @autoclosure () -> String) {
            let d = abs(value - expected)
            if !(d <= allowance), first == nil { first = "\(where_()): featmap \(value), OpenCV \(expected)" }
            if d > worst || d.isNaN { worst = d }
        }
        for (i, y) in c.rows.enumerated() {
            for k in 0..<(wo * ch) { check(output.storage[y * wo * ch + k], rows.storage[i * wo * ch + k], "row \(y) column \(k / ch)") }
        }
        let step = manifest.subsample
        let (sh, sw) = (sub.shape[0], sub.shape[1])
        #expect(sh == (c.outputHeight + step - 1) / step && sw == (wo + step - 1) / step)
        for i in 0..<sh {
            for j in 0..<sw {
                for k in 0..<ch {
                    check(output.storage[((i * step) * wo + j * step) * ch + k], sub.storage[(i * sw + j) * ch + k],
                          "row \(i * step) column \(j * step)")
                }
            }
        }
        #expect(worst <= allowance, "\(c.id): largest difference \(worst); first at \(first ?? "-")")
    }

    /// The statistics of one `--json` line against NumPy's min, mean and max of the reference.
    static func checkStatistics(_ line: String, _ c: Case, path: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        #expect(object["width"] as? Int == c.outputWidth && object["height"] as? Int == c.outputHeight, "\(line)")
        let stats = try #require(object["statistics"] as? [String: Any], "\(path): \(line)")
        let low = try #require((stats["min"] as? NSNumber)?.doubleValue)
        let mean = try #require((stats["mean"] as? NSNumber)?.doubleValue)
        let high = try #require((stats["max"] as? NSNumber)?.doubleValue)
        let tolerance = Double(allowance(c))
        #expect(abs(low - c.min) <= tolerance, "\(c.id) \(path): min \(low), NumPy \(c.min)")
        #expect(abs(high - c.max) <= tolerance, "\(c.id) \(path): max \(high), NumPy \(c.max)")
        // The mean of ~5 million values: float32 sums per block of 1024, Double across them, and
        // (when not exact) per-value differences of ~1e-5 that average out.
        let meanTolerance = 2e-6 * c.meanAbs + (c.exact ? 0 : 1e-5)
        #expect(abs(mean - c.mean) <= meanTolerance, "\(c.id) \(path): mean \(mean), NumPy \(c.mean) (±\(meanTolerance))")
    }

    /// The band geometry the fixture was made for is the one featmap uses.
    static func checkBands(_ c: Case) {
        #expect(BandedFilter.bandRows(width: manifest.width, channels: 3, span: c.span) == c.bandRows,
                "featmap's bands are no longer \(c.bandRows) rows; run Tests/scripts/stream_fixtures.py")
        #expect(c.bands >= 5 && (c.outputHeight + c.bandRows - 1) / c.bandRows == c.bands)
        #expect(c.rows.contains(c.bandRows - 1) && c.rows.contains(c.bandRows))
    }

    /// NPY (raw float32 responses): the banded file equals the whole-image result byte for byte and
    /// OpenCV's responses (exactly for integer arithmetic), and both runs' `--json` statistics equal
    /// NumPy's.
    @Test(arguments: manifest.cases)
    func rawResponsesInManyBandsMatchOpenCV(_ c: Case) throws {
        Self.checkBands(c)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.tiledInput(in: dir, width: Self.manifest.width, height: Self.manifest.height)
        let file = dir.appendingPathComponent("out.npy")
        let args = ["apply", c.arguments[0], input] + c.arguments.dropFirst()
        let banded = try CLI.run(args + ["-o", file.path, "--json"])
        #expect(banded.status == 0, "\(banded.stderr)")
        let whole = try CLI.run(args + ["-o", "-", "--format", "npy", "--json"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let written = try Data(contentsOf: file)
        // Compared outside #expect, which would diff the two 20 MB collections on failure.
        let sameBytes = written == whole.stdout
        #expect(sameBytes, "the banded NPY differs from the whole-image NPY")
        let output = try NPY.decode([UInt8](written), source: "out.npy")
        #expect(output.shape == (c.channels == 1 ? [c.outputHeight, c.outputWidth] : [c.outputHeight, c.outputWidth, c.channels]))
        try Self.compare(output, with: c, allowance: Self.allowance(c))
        try Self.checkStatistics(banded.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), c, path: "banded")
        // To standard output the JSON line goes to standard error.
        try Self.checkStatistics(whole.stderr.trimmingCharacters(in: .whitespacesAndNewlines), c, path: "whole image")
    }

    /// PNG (|gx| → 8 bits) and JPEG of the same bands: the banded PNG has the whole-image PNG's pixels
    /// and, on the stored rows, clamp(rint(|r|)) of OpenCV's integer responses; the banded JPEG is the
    /// whole-image JPEG byte for byte; the statistics are still those of the raw responses.
    @Test(arguments: ["png", "jpg"])
    func mappedOutputInManyBands(format: String) throws {
        let c = try #require(Self.manifest.cases.first { $0.id == (format == "png" ? "sobel-x-reflect101" : "gaussian2-dilation2-reflect") })
        Self.checkBands(c)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try Self.tiledInput(in: dir, width: Self.manifest.width, height: Self.manifest.height)
        let file = dir.appendingPathComponent("out.\(format)")
        let args = ["apply", c.arguments[0], input] + c.arguments.dropFirst()
        let banded = try CLI.run(args + ["-o", file.path, "--json"])
        #expect(banded.status == 0, "\(banded.stderr)")
        let whole = try CLI.run(args + ["-o", "-", "--format", format == "png" ? "png" : "jpeg", "--json"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let written = try Data(contentsOf: file)
        try Self.checkStatistics(banded.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), c, path: "banded \(format)")
        try Self.checkStatistics(whole.stderr.trimmingCharacters(in: .whitespacesAndNewlines), c, path: "whole image \(format)")
        if format == "jpg" {
            let sameBytes = written == whole.stdout
            #expect(sameBytes, "the banded JPEG differs from the whole-image JPEG")
            return
        }
        let image = try ImageDecoder.decode([UInt8](written), source: "banded.png")
        // Compared outside #expect, which would print and diff both 5-million-sample images on failure.
        let sameAsWhole = try image == ImageDecoder.decode([UInt8](whole.stdout), source: "whole.png")
        #expect(sameAsWhole, "the banded PNG's pixels differ from the whole-image PNG's")
        #expect(image.width == c.outputWidth && image.height == c.outputHeight && image.channels == 3 && image.bitDepth == 8)
        let rows = try Self.reference("\(c.id)-rows.npy")
        let n = c.outputWidth * 3
        var wrong = 0
        for (i, y) in c.rows.enumerated() {
            for k in 0..<n where image.samples[y * n + k] != min(255, abs(rows.storage[i * n + k]).rounded()) { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) samples of the stored rows differ from clamp(|OpenCV|)")
    }

    /// Peak memory of the banded path grows with the width, not the height: 3000×3000 RGB peaks within
    /// 24 MiB of 3000×300 (the whole image alone would be 108 MB of float samples more; measured:
    /// ~45 and ~49 MB banded, ~450 MB whole-image).
    @Test func bandedPeakMemoryDoesNotGrowWithHeight() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func peak(height: Int) throws -> Int {
            let input = try Self.tiledInput(in: dir, width: 3000, height: height)
            let output = dir.appendingPathComponent("out-\(height).jpg").path
            return try Self.peakKiB(of: [CLI.binary.path, "apply", "sobel", input, "-o", output])
        }
        let short = try peak(height: 300)
        let tall = try peak(height: 3000)
        #expect(short > 0 && tall > 0)
        #expect(tall <= short + 24 * 1024, "peak grew from \(short) KiB (3000×300) to \(tall) KiB (3000×3000)")
    }

    /// Runs a command with standard input, output and error on /dev/null and returns its peak resident
    /// set in KiB: the child's own VmHWM (monotonic), read from /proc while it runs, as
    /// BatchTests.predictMemoryDoesNotGrowWithTheNumberOfFiles does. Not wait4's ru_maxrss: exec
    /// carries the old address space's high-water mark into it, and after posix_spawn (vfork) that is
    /// the test runner's own. A non-zero exit fails the test.
    static func peakKiB(of arguments: [String]) throws -> Int {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var envp: [UnsafeMutablePointer<CChar>?] = CLI.peakMemoryEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, &envp)
        try #require(spawned == 0, "posix_spawn failed: \(spawned)")
        var status: Int32 = 0, highest = 0
        while true {
            if let text = BatchTests.procStatus(pid),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) {
                highest = max(highest, kib)
            }
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { break }
            try #require(waited == 0 || errno == EINTR, "waitpid failed: \(errno)")
            usleep(2_000)
        }
        #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "\(arguments.dropFirst().joined(separator: " ")) exited with status \(status)")
        return highest
    }
}
