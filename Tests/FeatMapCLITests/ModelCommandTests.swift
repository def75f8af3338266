import Foundation
import Testing

/// `featmap layers`, `predict` and `convert` run as a user would. Models: samples/lenet.weights
/// (LeNet-5 converted by `featmap convert`), samples/digit*.png (MNIST test digits #0–#4), and
/// the small broken models of Fixtures/models made by Tests/scripts/make_weights_fixture.py.
@Suite struct ModelCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func sample(_ name: String) -> String { repository.appendingPathComponent("samples/\(name)").path }
    static func model(_ name: String) -> String { CLI.fixture("models/\(name)").path }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A float32 .npy file written by hand (NPY format 1.0, little-endian '<f4').
    static func npy(shape: [Int], values: [Float], to url: URL) throws {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: url)
    }

    @Test func layersWritesGridsInputAndTable() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit.png")], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let out = dir.appendingPathComponent("digit-layers")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["01-conv1.png", "02-relu1.png", "03-pool1.png", "04-conv2.png", "05-relu2.png", "06-pool2.png", "input.png", "overview.png"])
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        // conv1: 6 filters of 1·5·5 plus 6 biases; the first MNIST test digit is a 7.
        #expect(lines.contains { $0.hasPrefix("conv1") && $0.contains("Conv") && $0.contains("6×28×28") && $0.contains(" 156 ") })
        #expect(lines.contains { $0.hasPrefix("fc1") && $0.contains("48120") })
        let top = try #require(lines.firstIndex { $0.hasPrefix("top 5") })
        #expect(lines[top + 1].hasSuffix(" 7"))
        // input.png is a 28×28 8-bit grey PNG.
        let png = try Data(contentsOf: out.appendingPathComponent("input.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(png[16..<24] == Data([0, 0, 0, 28, 0, 0, 0, 28]))
    }

    @Test func layersJSONWithNpyUptoAndTiming() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit-2.png"), "--upto", "pool1", "--npy",
                             "--json", "--timing", "-o", "out", "--no-images"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try Self.json(r.stdoutText)
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.map { $0["name"] as? String } == ["conv1", "relu1", "pool1"])
        #expect(layers[2]["output_shape"] as? [Int] == [6, 14, 14])
        #expect(layers[0]["params"] as? Int == 156)
        #expect((layers[1]["min"] as? Double) == 0)
        #expect(object["top"] == nil)             // the pass stopped before the classifier
        #expect((object["forward_ms"] as? Double).map { $0 > 0 } == true)
        let npy = try Data(contentsOf: dir.appendingPathComponent("out/03-pool1.npy"))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        #expect(npy.count == 10 + headerLength + 6 * 14 * 14 * 4)
        #expect(String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self).contains("'shape': (6, 14, 14)"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/03-pool1.png").path))
    }

    /// --repeat runs the pass several times and reports the median; the outputs are those of one pass.
    @Test func layersRepeatTimesSeveralPasses() throws {
        let dir = try CLI.temporaryDirectory()
        let args = ["layers", Self.sample("lenet.weights"), Self.sample("digit-2.png"), "--upto", "pool1", "--json",
                    "--timing", "--no-images", "--npy"]
        let once = try CLI.run(args + ["-o", "once"], in: dir)
        let r = try CLI.run(args + ["--repeat", "5", "-o", "five"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try Self.json(r.stdoutText)
        #expect(object["forward_passes"] as? Int == 5)
        #expect((object["forward_ms"] as? Double).map { $0 > 0 } == true)
        // The fused pass that keeps no layer is timed too, up to the same layer.
        #expect((object["inference_ms"] as? Double).map { $0 > 0 } == true)
        #expect((try Self.json(once.stdoutText)["inference_ms"] as? Double) != nil)
        let a = try Data(contentsOf: dir.appendingPathComponent("once/03-pool1.npy"))
        let b = try Data(contentsOf: dir.appendingPathComponent("five/03-pool1.npy"))
        #expect(once.status == 0 && a == b)
        let text = try CLI.run(Array(args.filter { $0 != "--json" }) + ["--repeat", "3", "-o", "t"], in: dir)
        #expect(text.stdoutText.contains("(median of 3 passes)"))
        #expect(text.stdoutText.contains("inference: "), "\(text.stdoutText)")
        // Without --timing neither figure is printed.
        let untimed = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit-2.png"), "--no-images", "-o", "n"], in: dir)
        #expect(untimed.status == 0 && !untimed.stdoutText.contains("inference") && !untimed.stdoutText.contains("forward total"))
        // Without --timing, or out of range: a usage error.
        for bad in [["--repeat", "3"], ["--timing", "--repeat", "0"]] {
            let u = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit-2.png"), "-o", "u"] + bad, in: dir)
            #expect(u.status == 64, "\(bad)")
            #expect(u.stderr.contains("--repeat"))
        }
    }

    @Test func layersSelectsByAnyName() throws {
        let dir = try CLI.temporaryDirectory()
        // "15" is relu2's output name in the ONNX export; conv1 is a generated name.
        let r = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit.png"), "--layers", "15,conv1", "-o", "o"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path).sorted()
        #expect(files == ["01-conv1.png", "05-relu2.png", "input.png", "overview.png"])
    }

    @Test func layerNameMistakesAreUsageErrors() throws {
        let unknown = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit.png"), "--upto", "conv9"],
                                  in: try CLI.temporaryDirectory())
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no layer named 'conv9'") && unknown.stderr.contains("conv1"))
        let both = try CLI.run(["layers", Self.sample("lenet.weights"), Self.sample("digit.png"), "--upto", "conv1", "--layers", "conv1"])
        #expect(both.status == 64)
    }

    @Test func unsupportedOperatorKeepsEarlierLayers() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.model("unsupported-op.onnx"), Self.sample("digit.png"), "-o", "o"], in: dir)
        // conv and relu are written; Einsum stops the pass, so the pool the user would get is missing.
        #expect(r.status == 1)
        #expect(r.stderr.contains("node 'norm' uses operator Einsum"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path).sorted()
        #expect(files == ["01-conv.png", "02-relu.png", "input.png", "overview.png"])
        #expect(r.stdoutText.contains("relu"))
    }

    @Test func predictPrintsOneLinePerInputAndGoesOnAfterAFailure() throws {
        let dir = try CLI.temporaryDirectory()
        let digits = ["digit.png", "digit-2.png", "digit-1.png", "digit-0.png", "digit-4.png"].map(Self.sample)
        let r = try CLI.run(["predict", Self.sample("lenet.weights"), digits[0], "missing.png", digits[1], digits[2], digits[3], digits[4]], in: dir)
        #expect(r.status == 1)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("featmap: ") }
        #expect(errors.count == 1 && errors[0].contains("missing.png"))
        #expect(r.stderr.contains("5 succeeded, 1 failed"))
        let rows = r.stdoutText.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.map { $0[0] } == digits)
        #expect(rows.map { $0[1] } == ["7", "2", "1", "0", "4"])       // the MNIST labels
        #expect(rows.allSatisfy { Double($0[2]).map { $0 > 0.5 && $0 <= 1 } == true })
    }

    @Test func predictJSONLinesFolderAndNpy() throws {
        let dir = try CLI.temporaryDirectory()
        let folder = dir.appendingPathComponent("digits")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.sample("digit-4.png"), toPath: folder.appendingPathComponent("a.png").path)
        // A .npy is the network input itself: all zeros after normalisation is mid-grey.
        try Self.npy(shape: [1, 28, 28], values: [Float](repeating: 0, count: 784), to: folder.appendingPathComponent("b.npy"))
        let r = try CLI.run(["predict", Self.sample("lenet.weights"), "digits", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try r.stdoutText.split(separator: "\n").map { try Self.json(String($0)) }
        #expect(lines.map { $0["input"] as? String } == ["digits/a.png", "digits/b.npy"])
        #expect(lines[0]["class"] as? String == "4" && lines[0]["index"] as? Int == 4)
        #expect(lines.allSatisfy { ($0["probability"] as? Double).map { $0 > 0 && $0 <= 1 } == true })
        try Self.npy(shape: [2, 28, 28], values: [Float](repeating: 0, count: 1568), to: dir.appendingPathComponent("two.npy"))
        let bad = try CLI.run(["predict", Self.sample("lenet.weights"), "two.npy"], in: dir)
        #expect(bad.status == 1 && bad.stderr.contains("1 channels"))
    }

    @Test func convertUptoWritesASmallerModel() throws {
        let dir = try CLI.temporaryDirectory()
        let c = try CLI.run(["convert", Self.sample("lenet.weights"), "-o", "first.weights", "--upto", "pool2"], in: dir)
        #expect(c.status == 0, "\(c.stderr)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("first.weights").path)[.size] as? Int)
        // conv1 + conv2 = 156 + 2416 float32 values, plus the JSON header.
        #expect(size > 2572 * 4 && size < 2572 * 4 + 8192)
        let r = try CLI.run(["layers", "first.weights", Self.sample("digit.png"), "--json", "--no-images"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let layers = try #require(try Self.json(r.stdoutText)["layers"] as? [[String: Any]])
        #expect(layers.count == 6)
    }

    @Test(arguments: [
        ("header-past-end.weights", "runs past the end"),
        ("size-mismatch.weights", "tensor 'w' has 64 bytes but shape [2, 1, 3, 3] of F32 needs 72"),
        ("missing-tensor.weights", "needs tensor 'b'"),
    ])
    func damagedWeightsFailWithOneLine(_ name: String, _ message: String) throws {
        let r = try CLI.run(["layers", Self.model(name), Self.sample("digit.png"), "-o", "o"], in: try CLI.temporaryDirectory())
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func truncatedAndCorruptONNXFailWithOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        let whole = try Data(contentsOf: URL(fileURLWithPath: Self.model("unsupported-op.onnx")))
        try whole.prefix(whole.count / 2).write(to: dir.appendingPathComponent("truncated.onnx"))
        try Data("this is not a protobuf at all, just text\n".utf8).write(to: dir.appendingPathComponent("corrupt.onnx"))
        let truncatedLenet = try Data(contentsOf: URL(fileURLWithPath: Self.sample("lenet.weights"))).prefix(100_000)
        try truncatedLenet.write(to: dir.appendingPathComponent("truncated.weights"))
        for file in ["truncated.onnx", "corrupt.onnx", "truncated.weights"] {
            let r = try CLI.run(["predict", file, Self.sample("digit.png")], in: dir)
            #expect(r.status == 1, "\(file)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(file): \(r.stderr)")
            #expect(r.stderr.contains(file), "\(file): \(r.stderr)")
        }
    }

    @Test func nanWeightsWarnButRun() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.model("nan.weights"), Self.sample("digit.png"), "-o", "o", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning") && r.stderr.contains("tensor 'w' has 1 NaN"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o/01-conv.png").path))
        let good = try CLI.run(["layers", Self.model("tiny.weights"), Self.sample("digit.png"), "-o", "p"], in: dir)
        #expect(good.status == 0 && good.stderr.isEmpty)
    }

    /// The whole SqueezeNet 1.1, converted by featmap, classifies the sample cat as a cat
    /// (ImageNet 285 Egyptian cat or 281 tabby, as onnxruntime does: see the fixture's README).
    @Test func squeezeNetSeesACat() throws {
        let r = try CLI.run(["predict", CLI.fixture("models/squeezenet1.1.weights").path, Self.sample("chelsea.png"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdoutText.utf8)) as? [String: Any]
        let index = obj?["index"] as? Int
        #expect(index == 285 || index == 281, "top class \(String(describing: index))")
    }

    /// `predict` runs the Convs on oneDNN's channels-last primitives; FEATMAP_CHANNELS_LAST=0 runs them on
    /// the im2col core instead: the same class, the same probability to 1e-5.
    @Test func channelsLastAndIm2colPassesAgree() throws {
        let args = ["predict", CLI.fixture("models/squeezenet1.1.weights").path, Self.sample("chelsea.png"), "--json"]
        var plainEnvironment = ProcessInfo.processInfo.environment
        plainEnvironment["FEATMAP_CHANNELS_LAST"] = "0"
        var found: [(index: Int, probability: Double)] = []
        for environment in [nil, plainEnvironment] {
            let r = try CLI.run(args, environment: environment)
            #expect(r.status == 0, "\(r.stderr)")
            let obj = try JSONSerialization.jsonObject(with: Data(r.stdoutText.utf8)) as? [String: Any]
            found.append((try #require(obj?["index"] as? Int), try #require(obj?["probability"] as? Double)))
        }
        #expect(found[0].index == found[1].index)
        #expect(abs(found[0].probability - found[1].probability) <= 1e-5, "\(found)")
    }
}
