import Foundation

/// Class probabilities from a network output: the output itself when it already is a
/// distribution (a Softmax ended the graph), else its softmax.
public struct ClassScores: Sendable {
    public var probabilities: [Float]

    /// Nil when the output is not a vector of class scores.
    public init?(_ output: Tensor) {
        // A classifier output has one axis longer than 1: [1, K], [K] or [1, K, 1, 1].
        guard output.count >= 2, output.shape.filter({ $0 > 1 }).count == 1 else { return nil }
        let v = output.storage
        let sum = v.reduce(0, +)
        if v.allSatisfy({ $0 >= 0 && $0 <= 1 }) && abs(sum - 1) < 1e-3 {
            probabilities = v
        } else {
            let top = v.max() ?? 0
            let e = v.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            probabilities = e.map { $0 / total }
        }
    }

    /// The `k` most probable classes (index, probability), most probable first; ties in index order.
    public func top(_ k: Int) -> [(Int, Float)] {
        Array(probabilities.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
            .prefix(k).map { ($0.offset, $0.element) })
    }
}

extension Model {
    /// The most probable class of one input ([C, H, W]) and its probability, from a fused pass
    /// (`plan` from `graph.fusionPlan()`, made once for many inputs). `source` names the input in errors.
    /// `batches`, when given, keeps the preparation of each input shape (and with it the channels-last
    /// primitives, made once) for the next input of that shape.
    public func topClass(of input: Tensor, source: String, plan: FusionPlan, batches: SampleBatches? = nil) throws -> (Int, Float) {
        let result = graph.forwardFused(input, plan: plan, prepared: batches?.alone(graph, input: input))
        if let stop = result.stoppedBy { throw stop }
        guard let output = result.output, let scores = ClassScores(output) else {
            throw ModelError.badInput("\(source): the model's output is not a vector of class scores, so there is nothing to predict; use `featmap layers` to see its layers")
        }
        return scores.top(1)[0]
    }
}
