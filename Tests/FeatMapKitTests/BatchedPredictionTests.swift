import Foundation
import Testing
@testable import FeatMapKit

/// Batched passes (`Graph.runsSamplesApart`, `Model.topClasses`, `featmap predict`'s 64 inputs per pass)
/// against one input at a time: on the first 1,000 MNIST test digits (Fixtures/mnist) through LeNet-5
/// (Fixtures/models/lenet5-mnist.onnx) and on a SqueezeNet Fire module, every output value of a batched
/// pass must have the very bits of the pass on that input alone (tolerance: none); and the graphs whose
/// operators mix the samples, or that featmap cannot prove keep them apart, must be refused.
@Suite struct BatchedPredictionTests {
    /// The first `count` MNIST test digits as LeNet's network inputs [1, 28, 28].
    static func digits(_ model: Model, count: Int) throws -> [Tensor] {
        let set = try ShiftExperimentTests.firstThousand(chunk: count)
        return try set.nextChunk().map { raw, _ in
            guard case .pixels(let v, let h, let w) = raw else { throw EngineError.invalidParameter("not pixels") }
            return try model.preprocessing.normalised(Tensor(shape: [1, h, w], storage: v))
        }
    }

    static func bits(_ t: Tensor?) -> [UInt32] { t?.storage.map(\.bitPattern) ?? [] }

    /// Stacks `inputs` along a new axis 0.
    static func stacked(_ inputs: [Tensor]) -> Tensor {
        Tensor(shape: [inputs.count] + inputs[0].shape, storage: inputs.flatMap(\.storage))
    }

    /// Inputs with values of every sign and size (a fixed LCG), for models with no real data here.
    static func pseudoRandom(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 250
        })
    }

    @Test func lenetOnAThousandDigitsGivesEachTheBitsOfItsPassAloneInBatchesOf64() throws {
        let model = try ShiftExperimentTests.lenet()
        let graph = model.graph
        let inputs = try Self.digits(model, count: 1000)
        #expect(graph.runsSamplesApart(sample: [1, 28, 28], batch: 64))
        let plan = graph.fusionPlan()
        var differing: [Int] = []
        for start in stride(from: 0, to: inputs.count, by: 64) {
            let part = Array(inputs[start..<min(start + 64, inputs.count)])
            let together = graph.forwardFused(Self.stacked(part), plan: plan)
            #expect(together.stoppedBy == nil)
            let output = try #require(together.output)
            try #require(output.shape == [part.count, 10])
            for (k, x) in part.enumerated() {
                let alone = graph.forwardFused(x, plan: plan)
                if Self.bits(alone.output) != Array(Self.bits(output)[(k * 10)..<((k + 1) * 10)]) { differing.append(start + k) }
            }
        }
        #expect(differing.isEmpty, "digits \(differing.prefix(10)) differ between the batched pass and the pass alone")
        // The same through the predict library: each class and the bits of its probability.
        let classes = model.topClasses(of: inputs, sources: inputs.indices.map { "digit \($0)" }, plan: plan)
        var mismatched: [Int] = []
        for (i, x) in inputs.enumerated() {
            let (index, p) = try model.topClass(of: x, source: "digit \(i)", plan: plan)
            let (bIndex, bp) = try classes[i].get()
            if index != bIndex || p.bitPattern != bp.bitPattern { mismatched.append(i) }
        }
        #expect(mismatched.isEmpty, "digits \(mismatched.prefix(10)) classified otherwise in batches")
    }

    /// A SqueezeNet Fire module (Conv + Relu squeeze, two Conv + Relu expands, channel Concat): the
    /// Convs that write into the Concat's buffer alone copy their parts in a batch, with the same bits.
    @Test func fireModuleInABatchGivesEachInputTheBitsOfItsPassAlone() throws {
        let graph = try Model.load(contentsOf: ModelFixtures.url("squeezenet-fire3.onnx")).graph
        let c = try #require(graph.inputShape.count == 4 ? graph.inputShape[1] : nil)
        let sample = [c, 29, 29]
        #expect(graph.runsSamplesApart(sample: sample, batch: 5))
        let inputs = (0..<5).map { Self.pseudoRandom(sample, seed: UInt64($0) + 1) }
        let plan = graph.fusionPlan()
        let together = try #require(graph.forwardFused(Self.stacked(inputs), plan: plan).output)
        let per = together.count / 5
        for (k, x) in inputs.enumerated() {
            let alone = try #require(graph.forwardFused(x, plan: plan).output)
            #expect(Self.bits(alone) == Array(Self.bits(together)[(k * per)..<((k + 1) * per)]), "input \(k)")
        }
    }

    /// Up to 256 rows, each row of a Gemm is its own one-row product: the bits of that row alone.
    @Test func gemmRowsHaveTheBitsOfTheirOneRowProducts() throws {
        let a = Self.pseudoRandom([64, 400], seed: 7), b = Self.pseudoRandom([120, 400], seed: 8), c = Self.pseudoRandom([120], seed: 9)
        let gemm = Gemm(alpha: 1, beta: 1, transposeA: false, transposeB: true)
        let all = try gemm.applied(a, b, c)
        for r in [0, 1, 17, 63] {
            let row = try gemm.applied(Tensor(shape: [1, 400], storage: Array(a.storage[(r * 400)..<((r + 1) * 400)])), b, c)
            #expect(Self.bits(row) == Array(Self.bits(all)[(r * 120)..<((r + 1) * 120)]), "row \(r)")
        }
    }

    /// A one-input graph of `nodes` on [N, 2, 4, 4] (input "x", output "y"), with `weights`.
    static func graph(_ nodes: [GraphNode], weights: [String: Tensor] = [:], opset: Int = 13) throws -> Graph {
        try Graph(nodes: nodes, weights: weights, inputName: "x", inputShape: [-1, 2, 4, 4], outputs: ["y"], opset: opset, file: "test")
    }

    @Test func graphsThatMixSamplesOrCannotBeToldAreRefused() throws {
        let w = Self.pseudoRandom([3, 2, 3, 3], seed: 3)
        let sample = [2, 4, 4]
        // Conv → Relu → MaxPool → Flatten → Gemm → Softmax(axis 1): every node keeps samples apart.
        let good = try Self.graph([
            GraphNode(op: "Conv", inputs: ["x", "w"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            GraphNode(op: "Relu", inputs: ["c"], outputs: ["r"]),
            GraphNode(op: "Flatten", inputs: ["r"], outputs: ["f"], attributes: ["axis": .int(1)]),
            GraphNode(op: "Gemm", inputs: ["f", "fc"], outputs: ["g"], attributes: ["transB": .int(1)]),
            GraphNode(op: "Softmax", inputs: ["g"], outputs: ["y"], attributes: ["axis": .int(1)]),
        ], weights: ["w": w, "fc": Tensor(shape: [5, 48], storage: Self.pseudoRandom([5, 48], seed: 5).storage)])
        #expect(good.runsSamplesApart(sample: sample, batch: 8))
        #expect(!good.runsSamplesApart(sample: sample, batch: Gemm.rowByRowLimit + 1), "more rows than Gemm computes apart")
        let flat = GraphNode(op: "Flatten", inputs: ["x"], outputs: ["f"], attributes: ["axis": .int(1)])
        let refused: [(String, Graph)] = [
            ("a softmax across the batch", try Self.graph([flat, GraphNode(op: "Softmax", inputs: ["f"], outputs: ["y"], attributes: ["axis": .int(0)])])),
            ("a reduction over the batch", try Self.graph([GraphNode(op: "ReduceMean", inputs: ["x"], outputs: ["y"], attributes: ["axes": .ints([0]), "keepdims": .int(1)])], opset: 13)),
            ("a transpose", try Self.graph([GraphNode(op: "Transpose", inputs: ["x"], outputs: ["y"], attributes: ["perm": .ints([1, 0, 2, 3])])])),
            ("batch statistics", try Self.graph([GraphNode(op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"], outputs: ["y"], attributes: ["training_mode": .int(1)])],
                                               weights: ["s": Tensor(shape: [2], repeating: 1), "b": Tensor(shape: [2], repeating: 0),
                                                         "m": Tensor(shape: [2], repeating: 0), "v": Tensor(shape: [2], repeating: 1)], opset: 15)),
            ("a reshape that merges the samples", try Self.graph([GraphNode(op: "Reshape", inputs: ["x", "s"], outputs: ["y"])],
                                                                 weights: ["s": Tensor(shape: [1], storage: [-1])])),
            ("MaxPool's indices", try Self.graph([GraphNode(op: "MaxPool", inputs: ["x"], outputs: ["y", "i"], attributes: ["kernel_shape": .ints([2, 2])])])),
            ("a constant with a row per sample", try Self.graph([flat, GraphNode(op: "Add", inputs: ["f", "k"], outputs: ["y"])],
                                                                weights: ["k": Self.pseudoRandom([8, 32], seed: 2)])),
        ]
        for (what, graph) in refused {
            #expect(!graph.runsSamplesApart(sample: sample, batch: 8), "\(what) was taken for a graph that keeps samples apart")
        }
    }

    /// An input of another shape in the middle of a run: the inputs around it still run together, it runs
    /// alone, the results stay in input order, each failure is the input's own.
    @Test func topClassesKeepsOrderAcrossShapesAndFailures() throws {
        let model = try ShiftExperimentTests.lenet()
        let plan = model.graph.fusionPlan()
        var inputs = try Self.digits(model, count: 20)
        inputs[7] = Self.pseudoRandom([1, 28, 28], seed: 11)
        inputs[12] = Tensor(shape: [1, 20, 20], repeating: 0)   // too small for the Gemm after the Flatten
        let classes = model.topClasses(of: inputs, sources: inputs.indices.map { "input \($0)" }, plan: plan, batch: 8)
        #expect(classes.count == 20)
        for (i, x) in inputs.enumerated() {
            switch (Result { try model.topClass(of: x, source: "input \(i)", plan: plan) }, classes[i]) {
            case (.success(let a), .success(let b)): #expect(a.0 == b.0 && a.1.bitPattern == b.1.bitPattern, "input \(i)")
            case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)", "input \(i)")
            default: Issue.record("input \(i): one way it failed, the other not")
            }
        }
        #expect((try? classes[12].get()) == nil)
    }
}
