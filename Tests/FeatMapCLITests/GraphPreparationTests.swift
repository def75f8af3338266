import Foundation
import Testing

/// What featmap checks and folds before a model runs (issue 14 §2), through the real binary.
/// Models from Tests/scripts/graph_check_fixtures.py; expected figures worked out by hand below.
@Suite struct GraphPreparationTests {
    static func model(_ name: String) -> String { CLI.fixture("models/\(name)").path }
    static let digit = ModelCommandTests.sample("digit.png")

    /// A Reshape of a [1, 2, 28, 28] map (1568 values) to [7, −1, 5] cannot work (1568 is not a
    /// multiple of 35): the Conv before it is written, the run exits 1 with the node and the reason.
    @Test func failingNodeExitsOne() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.model("bad-reshape.onnx"), Self.digit, "-o", "o"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("node 'flat' (Reshape) failed: cannot reshape [1, 2, 28, 28] (1568 values) to [7, -1, 5]"), "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path)
        #expect(files.contains("01-conv.png"))
    }

    /// A 1×1 Conv to 4096 channels on 28×28 needs its input (28·28·4 B) and output (4096·28·28·4 B =
    /// 12.25 MiB) at once, 12.3 MiB in all: refused under --max-memory 8M, from the memory plan, before
    /// any layer is computed; the default limit (most of the machine's memory) lets it run.
    @Test func memoryPlanRefusesBeforeAllocating() throws {
        let dir = try CLI.temporaryDirectory()
        let started = Date()
        let r = try CLI.run(["layers", Self.model("wide-1x1.onnx"), Self.digit, "-o", "o", "--max-memory", "8M"], in: dir)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(r.status == 1)
        #expect(r.stderr.contains("needs 12.3 MiB of activations at its peak, more than --max-memory 8.0 MiB"), "\(r.stderr)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path)) ?? []
        #expect(!files.contains { $0.hasSuffix("-wide.png") })
        let ok = try CLI.run(["layers", Self.model("wide-1x1.onnx"), Self.digit, "-o", "p", "--no-images"], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        let bad = try CLI.run(["layers", Self.model("wide-1x1.onnx"), Self.digit, "--max-memory", "lots"], in: dir)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--max-memory needs a size such as 512M or 8G"))
    }

    /// The first node reshapes a weight ([8] → [2, 1, 2, 2]), as the CNTK MNIST model does: it is folded
    /// at load, so the default layers are the Conv, Relu and MaxPool, and info sees the Conv's 8 weights.
    /// By hand: 2·27·27·(2·2) = 5,832 MACs; fields 2 then 2 + (2 − 1)·1 = 3 with jump 2.
    @Test func weightTransformIsFoldedAtLoad() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.model("weight-reshape-first.onnx"), Self.digit, "-o", "o"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path).sorted()
        #expect(files == ["01-conv.png", "02-relu.png", "03-pool.png", "input.png", "overview.png"])
        let info = try CLI.run(["info", Self.model("weight-reshape-first.onnx")])
        #expect(info.status == 0, "\(info.stderr)")
        let conv = info.stdoutText.split(separator: "\n").first { $0.hasPrefix("conv ") }.map { $0.split(separator: " ").map(String.init) }
        #expect(conv == ["conv", "Conv", "2×2", "1", "0", "1", "1", "2×27×27", "8", "5,832", "2", "1", "0"])
        let pool = info.stdoutText.split(separator: "\n").first { $0.hasPrefix("pool ") }.map { $0.split(separator: " ").map(String.init) }
        #expect(pool?.suffix(3) == ["3", "2", "0"])
    }

    /// A channels-last stretch, as in ConvNeXt's blocks: the Relu between the two Transposes holds
    /// [1, 28, 28, 4] (rows, columns, channels), not four maps, so it is listed and not drawn; after the
    /// Transpose back the last Relu is maps again and drawn.
    @Test func channelsLastValuesAreNotDrawnAsMaps() throws {
        let dir = try CLI.temporaryDirectory()
        let r = try CLI.run(["layers", Self.model("channels-last.onnx"), Self.digit, "-o", "o", "--layers", "conv,relu_nhwc,relu"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: relu_nhwc's output [1, 28, 28, 4] is not laid out as [N, C, H, W] maps"), "\(r.stderr)")
        #expect(r.stdoutText.contains("relu_nhwc"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path)
        #expect(files.contains { $0.hasSuffix("-conv.png") } && files.contains { $0.hasSuffix("-relu.png") }, "\(files)")
        #expect(!files.contains { $0.contains("relu_nhwc") }, "\(files)")
    }

    /// Operators featmap does not run are named when the model loads, one line per type, with what works.
    @Test func unsupportedOperatorsAreListedAtLoad() throws {
        let r = try CLI.run(["info", ModelCommandTests.model("unsupported-op.onnx")])
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("is not supported by featmap") }
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.contains("(1 node, the first 'norm')") == true)
        #expect(lines.first?.contains("use --upto relu") == true)
    }
}
