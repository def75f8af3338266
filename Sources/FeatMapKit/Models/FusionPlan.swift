/// What a forward pass that keeps no intermediate layer may fold together, worked out once from the
/// graph's wiring (what onnxruntime's graph optimiser does for the same graphs):
/// - a Conv whose output only an activation reads runs with that activation applied to each block
///   of its output while the block is in cache, instead of a second pass over memory;
/// - the Convs (with their activations) whose outputs only a channel Concat reads write straight into
///   the Concat's buffer, at their channels' offset, instead of being copied there afterwards
///   (SqueezeNet's Fire modules: the two expand branches).
/// The values computed are the same, bit for bit: the same operations run on the same floats.
public struct FusionPlan: Sendable {
    /// Conv node → the activation node folded into it.
    var activation: [Int: Int] = [:]
    /// Conv node → the Concat node whose buffer it writes, and its first channel there.
    var slot: [Int: (concat: Int, channel: Int)] = [:]
    /// Concat node → its channel count, when its inputs are written in place.
    var concatChannels: [Int: Int] = [:]

    /// Folds nothing: every node's output is its own tensor, for passes that show every layer.
    static let none = FusionPlan()

    /// Activation nodes that do not run on their own.
    var folded: Set<Int> { Set(activation.values) }

    init() {}

    /// The plan for nodes 0...end of `graph`.
    init(_ graph: Graph, end: Int) {
        guard end >= 0 else { return }
        let nodes = graph.nodes
        var readers: [String: [Int]] = [:], producer: [String: Int] = [:]
        for i in 0...end {
            for name in nodes[i].inputs where !name.isEmpty { readers[name, default: []].append(i) }
            for name in nodes[i].outputs where !name.isEmpty { producer[name] = i }
        }
        let graphOutputs = Set(graph.outputs)
        func soleReader(_ value: String) -> Int? {
            guard !value.isEmpty, !graphOutputs.contains(value), let r = readers[value], r.count == 1 else { return nil }
            return r[0]
        }
        // An activation's other inputs (Clip's bounds) must exist when the Conv runs.
        func availableBefore(_ name: String, _ i: Int) -> Bool {
            name.isEmpty || graph.weights[name] != nil || (producer[name].map { $0 < i } ?? false)
        }
        for i in 0...end where graph.isConvolution(i) {
            guard let out = nodes[i].outputs.first, let j = soleReader(out), graph.isActivation(nodes[j]),
                  nodes[j].inputs.first == out, nodes[j].inputs.dropFirst().allSatisfy({ availableBefore($0, i) }) else { continue }
            activation[i] = j
        }
        let convOfActivation = Dictionary(uniqueKeysWithValues: activation.map { ($0.value, $0.key) })
        // Concat along channels of an [N, C, H, W] graph; the pass checks N = 1 when it runs.
        guard graph.inputShape.count == 4 else { return }
        for c in 0...end where graph.isConcatenation(c) && [1, -3].contains(nodes[c].int("axis", default: 1)) {
            let inputs = nodes[c].inputs
            guard !inputs.isEmpty, Set(inputs).count == inputs.count else { continue }
            var convs: [(node: Int, channels: Int)] = []
            for value in inputs {
                guard soleReader(value) == c, let p = producer[value] else { break }
                let conv = graph.isConvolution(p) ? p : convOfActivation[p]
                guard let conv, let w = graph.weights[nodes[conv].inputs.count > 1 ? nodes[conv].inputs[1] : ""], w.rank == 4 else { break }
                convs.append((conv, w.shape[0]))
            }
            guard convs.count == inputs.count else { continue }
            var channel = 0
            for (conv, channels) in convs {
                slot[conv] = (c, channel)
                channel += channels
            }
            concatChannels[c] = channel
        }
    }
}
