import FeatMapKit
import Foundation
import Testing

/// An [N, C, H, W] .npy input (issue 14): `predict` prints a line per sample and `layers` writes
/// [N, C, H, W] arrays, drawing sample 0 or --sample K. References: onnxruntime's batched run of LeNet-5
/// (Fixtures/batch, made by Tests/scripts/batch_fixtures.py), and the binary run on each sample alone.
@Suite struct BatchInputTests {
    static let lenet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FeatMapKitTests/Fixtures/models/lenet5-mnist.onnx").path
    static let digits = CLI.fixture("batch/digits3.npy").path

    static func npy(_ url: URL) throws -> Tensor { try NPY.decode([UInt8](try Data(contentsOf: url)), source: url.path) }

    /// Sample k of the fixture, alone, as a [1, 1, 28, 28] .npy in `dir`.
    static func single(_ k: Int, in dir: URL) throws -> String {
        let all = try npy(URL(fileURLWithPath: digits))
        let t = Tensor(shape: [1, 1, 28, 28], storage: Array(all.storage[(k * 784)..<((k + 1) * 784)]))
        let path = dir.appendingPathComponent("digit\(k).npy")
        try Data(NPY.encode(shape: t.shape, values: t.storage)).write(to: path)
        return path.path
    }

    @Test func predictPrintsALinePerSample() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["predict", Self.lenet, Self.digits])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "\(r.stdoutText)")
        let probs = try Self.npy(CLI.fixture("batch/probs.npy"))
        for k in 0..<3 {
            let row = Array(probs.storage[(k * 10)..<((k + 1) * 10)])
            let top = row.firstIndex(of: row.max()!)!
            let fields = lines[k].split(separator: "\t").map(String.init)
            #expect(fields.count == 3 && fields[0] == "\(Self.digits)[\(k)]" && fields[1] == "\(top)", "\(lines[k])")
            #expect(abs((Float(fields.last!) ?? -1) - row[top]) <= 5e-5 + 1e-4, "\(lines[k]) vs \(row[top])")
            // The sample alone gives the same class and probability, in the N = 1 line format.
            let alone = try CLI.run(["predict", Self.lenet, try Self.single(k, in: dir)])
            #expect(alone.status == 0, "\(alone.stderr)")
            #expect(alone.stdoutText == "\(dir.appendingPathComponent("digit\(k).npy").path)\t\(fields[1])\t\(fields[2])\n")
        }
        let json = try CLI.run(["predict", Self.lenet, Self.digits, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try json.stdoutText.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["sample"] as? Int } == [0, 1, 2])
        #expect(objects.map { $0["class"] as? String } == lines.map { String($0.split(separator: "\t")[1]) })
    }

    @Test func layersWritesEverySampleAndDrawsOne() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.lenet, Self.digits, "--npy", "-o", "all"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = dir.appendingPathComponent("all")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        let arrays = files.filter { $0.hasSuffix(".npy") }
        #expect(arrays.count == 6, "\(files)")
        #expect(r.stdoutText.contains("3 samples") && r.stdoutText.contains("3×6×14×14"), "\(r.stdoutText)")
        // The first MaxPool against onnxruntime's batched run.
        let pool = try #require(arrays.first { $0.hasSuffix("pool1.npy") })
        let mine = try Self.npy(out.appendingPathComponent(pool)), ref = try Self.npy(CLI.fixture("batch/pool1.npy"))
        #expect(mine.shape == [3, 6, 14, 14])
        let scale = ref.storage.map(abs).max()!
        #expect(zip(mine.storage, ref.storage).map { abs($0 - $1) }.max()! <= 1e-4 * scale)
        // Every array's sample k is, bit for bit, what the sample alone gives ([C, H, W] for N = 1).
        for k in 0..<3 {
            let alone = try CLI.run(["layers", Self.lenet, try Self.single(k, in: dir), "--npy", "-o", "one\(k)"], in: dir)
            #expect(alone.status == 0, "\(alone.stderr)")
            let one = dir.appendingPathComponent("one\(k)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: one.path).sorted() == files)
            for name in arrays {
                let batch = try Self.npy(out.appendingPathComponent(name)), single = try Self.npy(one.appendingPathComponent(name))
                #expect(batch.shape == [3] + single.shape, "\(name)")
                let n = single.count
                #expect(Array(batch.storage[(k * n)..<((k + 1) * n)]) == single.storage, "\(name) sample \(k)")
            }
        }
        // Sample 0 is drawn by default, --sample 2 draws the third: pictures as the sample alone draws them.
        for (k, folder) in [(0, "all"), (2, "third")] {
            if k != 0 {
                let third = try CLI.run(["layers", Self.lenet, Self.digits, "--sample", "2", "-o", folder], in: dir)
                #expect(third.status == 0, "\(third.stderr)")
                #expect(third.stdoutText.contains("top 5 of sample 2:"))
            }
            for picture in files where picture.hasSuffix(".png") && picture != "overview.png" {
                try CLI.expectSamePicture(dir.appendingPathComponent("\(folder)/\(picture)").path,
                                          dir.appendingPathComponent("one\(k)/\(picture)").path,
                                          "\(folder)/\(picture) against sample \(k) alone")
            }
        }
    }

    @Test func sampleOutOfRangeIsRefusedBeforeRunning() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.lenet, Self.digits, "--sample", "3", "-o", "out"], in: dir)
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("--sample 3 is out of range") && lines[0].contains("3 samples")
                && lines[0].contains("0…2"), "\(r.stderr)")
        #expect(r.stdoutText.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        let negative = try CLI.run(["layers", Self.lenet, Self.digits, "--sample=-1"], in: dir)
        #expect(negative.status == 64 && negative.stderr.contains("--sample counts from 0"), "\(negative.stderr)")
    }

    @Test func memoryLimitCountsEverySample() throws {
        let dir = try CLI.temporaryDirectory()
        // 200 samples hold 200 · 3136 bytes of input, more than 256 KiB; one sample's pass needs far less.
        let many = dir.appendingPathComponent("many.npy")
        try Data(NPY.encode(shape: [200, 1, 28, 28], values: [Float](repeating: 0.5, count: 200 * 784))).write(to: many)
        let refused = try CLI.run(["predict", Self.lenet, many.path, "--max-memory", "256K"])
        #expect(refused.status == 1 && refused.stdoutText.isEmpty)
        #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("200 samples")
                && refused.stderr.contains("--max-memory 256.0 KiB"), "\(refused.stderr)")
        let alone = try CLI.run(["predict", Self.lenet, try Self.single(0, in: dir), "--max-memory", "256K"])
        #expect(alone.status == 0, "\(alone.stderr)")
        // 20 samples fit for predict, but layers --npy keeps every sample's six selected layers (about 62 KiB each).
        let twenty = dir.appendingPathComponent("twenty.npy")
        try Data(NPY.encode(shape: [20, 1, 28, 28], values: [Float](repeating: 0.5, count: 20 * 784))).write(to: twenty)
        let fits = try CLI.run(["predict", Self.lenet, twenty.path, "--max-memory", "256K"])
        #expect(fits.status == 0 && fits.stdoutText.split(separator: "\n").count == 20, "\(fits.stderr)")
        let kept = try CLI.run(["layers", Self.lenet, twenty.path, "--npy", "--max-memory", "256K", "-o", "kept"], in: dir)
        #expect(kept.status == 1 && kept.stderr.contains("20 samples") && kept.stderr.contains("--npy"), "\(kept.stderr)")
        let drawn = try CLI.run(["layers", Self.lenet, twenty.path, "--max-memory", "256K", "-o", "drawn", "--no-images"], in: dir)
        #expect(drawn.status == 0, "\(drawn.stderr)")
    }

    /// Inputs are told apart by content, not by name: the three-digit .npy saved as "digits.bin" is still
    /// the network input, and a PNG named "digit.npy" is still decoded as the image it is — `predict`
    /// gives each what its correctly named copy gives, and `pool` reads the misnamed PNG as a picture.
    @Test func inputsAreRecognisedByContent() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try fm.copyItem(atPath: Self.digits, toPath: dir.appendingPathComponent("digits.bin").path)
        let digit = ModelCommandTests.sample("digit.png")
        try fm.copyItem(atPath: digit, toPath: dir.appendingPathComponent("digit.npy").path)
        func results(_ r: CLIResult) -> [String] {
            r.stdoutText.split(separator: "\n").map { $0.split(separator: "\t").dropFirst().joined(separator: "\t") }
        }
        for (misnamed, original) in [("digits.bin", Self.digits), ("digit.npy", digit)] {
            let a = try CLI.run(["predict", Self.lenet, misnamed], in: dir), b = try CLI.run(["predict", Self.lenet, original])
            #expect(a.status == 0 && b.status == 0, "\(misnamed): \(a.stderr) \(b.stderr)")
            #expect(!results(a).isEmpty && results(a) == results(b), "\(misnamed): \(a.stdoutText) vs \(b.stdoutText)")
        }
        let pooled = try CLI.run(["pool", "digit.npy", "-o", "p.png"], in: dir)
        #expect(pooled.status == 0, "\(pooled.stderr)")
        #expect(fm.fileExists(atPath: dir.appendingPathComponent("p.png").path))
    }
}
