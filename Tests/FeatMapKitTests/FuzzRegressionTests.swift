import Foundation
import Testing
@testable import FeatMapKit

/// Inputs the libFuzzer harnesses (Tests/fuzz, docs/fuzzing.md) found to crash, hang or leak, kept in
/// Fixtures/fuzz: each must now be refused with one clear error.
@Suite struct FuzzRegressionTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/fuzz/" + name, withExtension: nil), "missing fixture \(name)")
    }

    /// An empty model file: Foundation's Data(contentsOf:) leaked 4 KB on it (LeakSanitizer, onnx harness).
    /// It is now refused before it is read, naming the file and what would work.
    @Test func emptyModelFileIsRefusedBeforeReading() throws {
        let url = try Self.fixture("empty.onnx")
        // Its size from the file system: Data(contentsOf:) on it is the very call that leaks.
        #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber == 0)
        do {
            _ = try Model.load(contentsOf: url)
            Issue.record("an empty file loaded as a model")
        } catch let error as ModelError {
            #expect(error == .unreadable(file: url.path, reason: "the file is empty (0 bytes); give an ONNX model (.onnx) or a featmap .weights file"))
            #expect(!error.description.contains("\n"))
        }
    }

    /// A Range folded at load (constant start, limit and delta) asking for ~2^32 values: featmap allocated
    /// 16 GB (libFuzzer out-of-memory, onnx harness). Now Range gives at most 2^24 values, and shape
    /// inference counts them without building them.
    @Test func hugeRangeIsRefusedAtLoad() throws {
        let url = try Self.fixture("range-16gb.onnx")
        let started = Date()
        do {
            _ = try Model.load(contentsOf: url)
            Issue.record("a Range of billions of values loaded")
        } catch let error as ModelError {
            guard case .badGraph(let file, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == url.path)
            #expect(reason.contains("(Range) computes a constant"), "\(reason)")
            #expect(reason.contains("more than the 16777216 (2^24) featmap allows"), "\(reason)")
            #expect(!error.description.contains("\n"))
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// A ConstantOfShape of the file's tensors asking for [2298478594, 3] floats (27.6 GB): folding it at
    /// load allocated it before any --max-memory check (libFuzzer out-of-memory, onnx harness). It is now
    /// refused from its shape, before allocating, against the limit the load is given.
    @Test func hugeConstantOfShapeIsRefusedAtLoad() throws {
        let url = try Self.fixture("constant-of-shape-27gb.onnx")
        let started = Date()
        do {
            _ = try Model.load(contentsOf: url, memoryLimit: 1 << 30)
            Issue.record("a 27 GB ConstantOfShape loaded")
        } catch let error as ModelError {
            guard case .badGraph(let file, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(file == url.path)
            // Tensors hold float32, so the int64 2298478594 reads as 2298478592 (the nearest float).
            #expect(reason.contains("(ConstantOfShape) computes a constant of shape [2298478592, 3]"), "\(reason)")
            #expect(reason.contains("more than --max-memory 1.0 GiB"), "\(reason)")
            #expect(!error.description.contains("\n"))
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// The bound itself, by hand: 0 to 2^24 by 1 is 2^24 values (allowed), one more is refused; so is a
    /// count that is not finite.
    @Test func rangeCountBound() throws {
        func scalar(_ v: Float) -> Tensor { Tensor(shape: [1], storage: [v]) }
        let range = RangeOperator()
        #expect(try range.count(scalar(0), scalar(16_777_216), scalar(1)).count == 16_777_216)
        #expect(try range.count(scalar(10), scalar(0), scalar(-3)).count == 4)  // 10, 7, 4, 1
        #expect(throws: EngineError.self) { try range.count(scalar(0), scalar(16_777_218), scalar(1)) }
        #expect(throws: EngineError.self) { try range.count(scalar(0), scalar(1), scalar(1e-30)) }
    }

    /// Resize with scales of 1.7e22 and 2.8e20: shape inference trapped converting scale × size to Int
    /// (onnx harness, a 30-s CI run). Now the size saturates and the axis check refuses it, as the first
    /// failing node of the pass.
    @Test func resizeWithHugeScalesFailsItsShapeRule() throws {
        let model = try Model.load(contentsOf: try Self.fixture("resize-huge-scale.onnx"))
        let prepared = try model.graph.prepared(inputShape: [1, 2, 5, 7])
        let failure = try #require(prepared.failure)
        #expect(model.graph.nodes[failure.node].op == "Resize")
        let text = failure.error.description
        #expect(text.contains("scales the channel axis"), "\(text)")
        #expect(text.contains("2 → 9223372036854775807"), "\(text)")
        #expect(!text.contains("\n"))
    }

    /// Pad with a pad of -2^63 (int64 pads in an initializer): the bound check's abs() trapped on
    /// Int.min in shape inference (onnx harness, a 30-s CI run). It now compares magnitudes and the
    /// pass's first failing node is the Pad, with its pads named.
    @Test func padOfInt64MinFailsItsShapeRule() throws {
        let model = try Model.load(contentsOf: try Self.fixture("pad-int64-min.onnx"))
        let prepared = try model.graph.prepared(inputShape: [1, 2, 4, 5])
        let failure = try #require(prepared.failure)
        #expect(model.graph.nodes[failure.node].op == "Pad")
        let text = failure.error.description
        #expect(text.contains("-9223372036854775808"), "\(text)")
        #expect(text.contains("do not fit axis"), "\(text)")
        #expect(!text.contains("\n"))
    }
}
