import Foundation
import Testing

/// `featmap shift`, the real binary: LeNet-5's accuracy on shifted MNIST digits against onnxruntime
/// (Tests/FeatMapKitTests/Fixtures/mnist/shift-reference.json, made by Tests/scripts/shift_fixtures.py),
/// one digit layer by layer, the plots, and the refusals.
@Suite struct ShiftCommandTests {
    static let mnist = ModelCommandTests.repository.appendingPathComponent("Tests/FeatMapKitTests/Fixtures/mnist")
    static var lenet: String { ModelCommandTests.sample("lenet.weights") }
    static var images1000: String { mnist.appendingPathComponent("t10k-images-1000-idx3-ubyte.gz").path }
    static var labels1000: String { mnist.appendingPathComponent("t10k-labels-1000-idx1-ubyte.gz").path }

    struct Row: Decodable, Equatable { var shift: Int; var correct: Int; var total: Int }

    static func reference() throws -> [Row] {
        struct Reference: Decodable { struct Accuracy: Decodable { var first1000: [Row] }; var accuracy: Accuracy }
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: mnist.appendingPathComponent("shift-reference.json"))).accuracy.first1000
    }

    /// The first 1,000 test digits shifted −4..4 px along x (the full 10,000 take ~2 min through the debug
    /// binary on two cores; their counts, also in the fixture, are in the README): every count onnxruntime's.
    @Test func accuracyOverAThousandDigitsIsOnnxruntimes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plot = dir.appendingPathComponent("accuracy.svg").path
        let r = try CLI.run(["shift", Self.lenet, "--dataset", Self.images1000, "--labels", Self.labels1000, "--by=-4..4", "--json", "-o", plot])
        #expect(r.status == 0, "\(r.stderr)")
        let last = try #require(r.stdoutText.split(separator: "\n").last)
        struct Out: Decodable { var accuracy: [Row]; var unshifted: Row }
        let out = try JSONDecoder().decode(Out.self, from: Data(last.utf8))
        let ref = try Self.reference()
        #expect(out.accuracy == ref)
        #expect(out.unshifted == ref.first { $0.shift == 0 })
        // The plot: the accuracy chart with the unshifted accuracy marked.
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("unshifted 99.00%") && svg.contains("accuracy (%)"))
        // The table.
        let t = try CLI.run(["shift", Self.lenet, "--dataset", Self.images1000, "--labels", Self.labels1000, "--by", "2"])
        #expect(t.status == 0, "\(t.stderr)")
        let two = ref.first { $0.shift == 2 }!
        #expect(t.stdoutText.contains(String(format: "%.2f%%   %d/1000", Double(two.correct) / 10, two.correct)), "\(t.stdoutText)")
    }

    @Test func oneDigitLayerByLayer() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plot = dir.appendingPathComponent("digit.svg").path
        let r = try CLI.run(["shift", Self.lenet, ModelCommandTests.sample("digit.png"), "--by", "-2..2", "--json", "-o", plot])
        #expect(r.status == 0, "\(r.stderr)")
        struct Layer: Decodable { var name: String; var jump: [Int]; var equivariance_error: [Double?]; var invariance_error: [Double] }
        struct Top: Decodable { var shift: Int; var `class`: Int; var probability: Double }
        struct Out: Decodable { var shifts: [Int]; var layers: [Layer]; var top: [Top] }
        let out = try JSONDecoder().decode(Out.self, from: r.stdout)
        #expect(out.shifts == [-2, -1, 0, 1, 2])
        #expect(out.layers.map(\.name) == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"])
        #expect(out.layers.map(\.jump) == [[1, 1], [1, 1], [2, 2], [2, 2], [2, 2], [4, 4]])
        let conv1 = out.layers[0], pool1 = out.layers[2], pool2 = out.layers[5]
        #expect(conv1.equivariance_error.allSatisfy { $0 != nil && $0! < 1e-5 })
        #expect(pool1.equivariance_error.map { $0 == nil } == [false, true, false, true, false])
        #expect(pool2.equivariance_error.map { $0 == nil } == [true, true, false, true, true])
        // The input moves: every layer's map changes, the classifier's input (pool2) included.
        #expect(pool2.invariance_error[2] == 0 && pool2.invariance_error[3] > 0.1)
        #expect(out.top.count == 5 && out.top.allSatisfy { $0.class == 7 })
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("conv1 (Conv)") && svg.contains("pool2 (MaxPool)") && svg.contains("Equivariance error"))
        // The table names the layers and prints — where the shift is not a multiple of the jump.
        let t = try CLI.run(["shift", Self.lenet, ModelCommandTests.sample("digit.png"), "--by", "0..1", "--fill", "replicate", "--axis", "y"])
        #expect(t.status == 0 && t.stdoutText.contains("pool2  4") && t.stdoutText.contains("—"), "\(t.stdoutText)\(t.stderr)")
    }

    @Test func refusals() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plot = dir.appendingPathComponent("p.png")
        func refuse(_ args: [String], status: Int32, _ words: String...) throws {
            let r = try CLI.run(["shift"] + args + ["-o", plot.path])
            #expect(r.status == status, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(status == 64 || lines.count == 1, "\(args): \(r.stderr)")
            for w in words { #expect(r.stderr.contains(w), "\(args): \(r.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: plot.path))
        }
        // A header that is not idx: the labels given as images.
        try refuse([Self.lenet, "--dataset", Self.labels1000, "--labels", Self.labels1000, "--by", "0..1"], status: 1,
                   Self.labels1000, "magic number is 2049")
        // Labels that do not match the images in count.
        let fewer = dir.appendingPathComponent("labels-3")
        try Data([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]).write(to: fewer)
        try refuse([Self.lenet, "--dataset", Self.images1000, "--labels", fewer.path, "--by", "0..1"], status: 1, "3 labels", "1000 images")
        // A truncated idx file: its size is not what its header says.
        let cut = dir.appendingPathComponent("cut-idx3-ubyte")
        try Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28] + [UInt8](repeating: 0, count: 900)).write(to: cut)
        let two = dir.appendingPathComponent("two-idx1-ubyte")
        try Data([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]).write(to: two)
        try refuse([Self.lenet, "--dataset", cut.path, "--labels", two.path, "--by", "0..1"], status: 1, cut.path, "wrong size")
        // A shift larger than the 28-px input.
        try refuse([Self.lenet, ModelCommandTests.sample("digit.png"), "--by=-28..0"], status: 64, "larger than the input")
        try refuse([Self.lenet, "--dataset", Self.images1000, "--labels", Self.labels1000, "--by", "30"], status: 64, "larger than the input")
        // A model without a classifier.
        try refuse([ModelCommandTests.sample("squeezenet-first.weights"), "--dataset", Self.images1000, "--labels", Self.labels1000,
                    "--by", "0..1"], status: 1, "classifier")
        // Usage.
        try refuse([Self.lenet, ModelCommandTests.sample("digit.png"), "--by", "4..-4"], status: 64, "smaller shift first")
        try refuse([Self.lenet, "--by", "0..1"], status: 64, "one input")
        try refuse([Self.lenet, ModelCommandTests.sample("digit.png"), "--by", "0..1", "--labels", Self.labels1000], status: 64, "--labels goes with --dataset")
    }
}
