import Foundation

/// Running several inputs in one pass, stacked along the batch axis, when that provably gives each
/// input the same bits as a pass on it alone (`predict` classifies 64 digits per pass).
extension Graph {
    /// Whether a pass on `batch` samples of shape `sample` ([C, H, W]) stacked along axis 0 computes for
    /// each sample exactly what a pass on that sample alone computes: every node that runs must be an
    /// operator whose unit proves it keeps the samples apart (`OperatorUnit.keepsSamplesApart`: Conv,
    /// pooling, elementwise operators, BatchNormalization in inference, Gemm and MatMul with the batch as
    /// rows, Flatten and Reshape that keep axis 0, Softmax on a later axis, …), every value on the data path
    /// must have the batch as its first axis and, after it, the shape it has in a pass alone, and the two
    /// preparations must fold the same nodes. Anything else, or anything featmap cannot tell: false.
    public func runsSamplesApart(sample: [Int], batch: Int) -> Bool {
        guard batch >= 1, inputShape.count == 4, sample.count == 3 else { return false }
        guard let alone = try? prepared(inputShape: [1] + sample), alone.failure == nil,
              let many = try? prepared(inputShape: [batch] + sample), many.failure == nil,
              alone.foldedNodes == many.foldedNodes else { return false }
        let dataPath = dataPathNodes
        var carried: Set<String> = [inputName]
        func constant(_ p: PreparedGraph, _ name: String) -> Tensor? { p.constants[name] ?? weights[name] }
        for (i, node) in nodes.enumerated() where !many.foldedNodes.contains(i) {
            guard dataPath.contains(i), let unit = operatorUnit(of: node) else { return false }
            let present = node.inputs.map { $0.isEmpty ? nil : $0 }
            let view = SampleView(
                batch: batch,
                shapes: present.map { $0.flatMap { many.shapes[$0] } },
                carried: present.map { $0.map(carried.contains) ?? false },
                sameAlone: present.map { name in
                    guard let name, !carried.contains(name) else { return true }
                    return constant(alone, name) != nil && constant(alone, name) == constant(many, name)
                },
                outputs: node.outputs.map { $0.isEmpty ? [] : (many.shapes[$0] ?? []) },
                opset: opset)
            guard unit.keepsSamplesApart(node, view) else { return false }
            for name in node.outputs where !name.isEmpty {
                guard let one = alone.shapes[name], let all = many.shapes[name], one.first == 1,
                      all == [batch] + one.dropFirst() else { return false }
                carried.insert(name)
            }
        }
        return !outputs.isEmpty && outputs.allSatisfy(carried.contains)
    }
}

extension Model {
    /// The most probable class of each input ([C, H, W] each) and its probability, in input order: the
    /// same bits as `topClass(of:source:plan:)` on each alone. Inputs of one shape run `batch` at a time in
    /// one pass when the graph keeps samples apart (`Graph.runsSamplesApart`) and that pass fits
    /// `batchMemory` bytes of activations; otherwise, and for any input of a batch whose pass fails, one at
    /// a time, so that each failure is the input's own. `sources` name the inputs in errors.
    /// `batches` keeps the batched passes' preparations for further calls on this model (its workers share it).
    public func topClasses(of inputs: [Tensor], sources: [String], plan: FusionPlan, batch: Int = 64,
                           batchMemory: Int = 32 << 20, batches: SampleBatches = SampleBatches()) -> [Result<(Int, Float), any Error>] {
        precondition(inputs.count == sources.count, "one source per input")
        func alone(_ i: Int) -> Result<(Int, Float), any Error> {
            Result { try topClass(of: inputs[i], source: sources[i], plan: plan, batches: batches) }
        }
        var results = [Result<(Int, Float), any Error>?](repeating: nil, count: inputs.count)
        var start = 0
        while start < inputs.count {
            // The run of inputs of the first one's shape, up to `batch`.
            let shape = inputs[start].shape
            var end = start + 1
            while end < inputs.count, end - start < batch, inputs[end].shape == shape { end += 1 }
            var together: [(Int, Float)]? = nil
            if end - start > 1, let prepared = batches.preparation(graph, sample: shape, batch: end - start, memory: batchMemory) {
                together = batchedTopClasses(Array(inputs[start..<end]), prepared: prepared, plan: plan)
            }
            for i in start..<end { results[i] = together.map { .success($0[i - start]) } ?? alone(i) }
            start = end
        }
        return results.map { $0! }
    }

    /// One pass over `inputs` stacked along axis 0 (`prepared` for their shape), or nil when it fails.
    private func batchedTopClasses(_ inputs: [Tensor], prepared: PreparedGraph, plan: FusionPlan) -> [(Int, Float)]? {
        let n = inputs.count, sample = inputs[0].shape
        var storage: [Float] = []
        storage.reserveCapacity(n * sample.reduce(1, *))
        for x in inputs { storage += x.storage }
        let result = graph.forwardFused(Tensor(shape: [n] + sample, storage: storage), plan: plan, prepared: prepared)
        guard result.stoppedBy == nil, let output = result.output, output.rank >= 1, output.shape[0] == n else { return nil }
        // Sample k's output as a pass alone gives it: [1, …] with its rows.
        let rowShape = [1] + output.shape.dropFirst(), size = output.count / n
        var classes: [(Int, Float)] = []
        for k in 0..<n {
            let row = Tensor(shape: rowShape, storage: Array(output.storage[(k * size)..<((k + 1) * size)]))
            guard let scores = ClassScores(row) else { return nil }
            classes.append(scores.top(1)[0])
        }
        return classes
    }
}

/// The preparations of a model's batched passes (`Model.topClasses`), worked out once per sample shape
/// and batch size and shared by the workers; nil where the batch does not run as one pass.
public final class SampleBatches: @unchecked Sendable {
    private let lock = NSLock()
    private var preparations: [[Int]: PreparedGraph?] = [:]
    private var single: [[Int]: PreparedGraph] = [:], singleOrder: [[Int]] = []

    public init() {}

    /// The preparation of a pass on `input` alone, made once per input shape and kept for the last
    /// four shapes (images of many sizes through a model that takes any size must not keep a set of
    /// primitives each); a shape that fails its preparation gets none (the pass then reports why).
    func alone(_ graph: Graph, input: Tensor) -> PreparedGraph? {
        let key = graph.laidOut(input).shape
        lock.lock()
        if let known = single[key] { lock.unlock(); return known }
        lock.unlock()
        guard let prepared = try? graph.prepared(inputShape: key) else { return nil }
        lock.lock()
        if single[key] == nil {
            if singleOrder.count == 4 { single[singleOrder.removeFirst()] = nil }
            singleOrder.append(key)
        }
        single[key] = prepared
        lock.unlock()
        return prepared
    }

    /// The preparation of a pass on `batch` samples of shape `sample`, or nil when the graph does not keep
    /// samples apart or the pass needs more than `memory` bytes of activations (or `--max-memory`).
    func preparation(_ graph: Graph, sample: [Int], batch: Int, memory: Int) -> PreparedGraph? {
        let key = [batch] + sample
        lock.lock()
        if let known = preparations[key] { lock.unlock(); return known }
        lock.unlock()
        var result: PreparedGraph? = nil
        if sample.count == 3, graph.runsSamplesApart(sample: sample, batch: batch),
           let prepared = try? graph.prepared(inputShape: key),
           graph.peakActivationBytes(prepared) <= min(memory, graph.memoryLimit ?? Int.max) {
            result = prepared
        }
        lock.lock(); preparations[key] = result; lock.unlock()
        return result
    }
}
