import Foundation

/// What a forward pass that keeps no intermediate layer may fold together, worked out once from the
/// graph's wiring (what onnxruntime's graph optimiser does for the same graphs):
/// - a Conv whose output only an activation reads runs with that activation applied to each block
///   of its output while the block is in cache, instead of a second pass over memory;
/// - the Convs (with their activations) whose outputs only a channel Concat reads write straight into
///   the Concat's buffer, at their channels' offset, instead of being copied there afterwards
///   (SqueezeNet's Fire modules: the two expand branches);
/// - a Conv whose output only a Sigmoid and a Mul by that Sigmoid read (x·σ(x), EfficientNet's SiLU)
///   runs with that product as its activation;
/// - a Conv whose output only an Add reads, when the Add's other input is already computed (a residual
///   block's shortcut), starts its sums from that input instead of from zero, and takes the activation
///   that follows the Add (ResNet's Add + Relu), so neither runs as a pass of its own.
/// The values computed are the same, bit for bit, except for the residual sums: there each output is
/// (bias + shortcut) + Σ w·x instead of (bias + Σ w·x) + shortcut, the same numbers added in another
/// order (differences of a few ulp of the largest term, checked against the plain pass by the tests).
public struct FusionPlan: Sendable {
    /// Conv node → the activation node folded into it.
    var activation: [Int: Int] = [:]
    /// Conv node → the Concat node whose buffer it writes, and its first channel there.
    var slot: [Int: (concat: Int, channel: Int)] = [:]
    /// Concat node → its channel count, when its inputs are written in place.
    var concatChannels: [Int: Int] = [:]
    /// Conv node → the Add node folded into it, and the Add's other input (the shortcut).
    var residual: [Int: (add: Int, shortcut: String)] = [:]
    /// Conv node → the Sigmoid and Mul nodes that make x·σ(x) of its output (EfficientNet's SiLU), folded
    /// into it as one activation.
    var silu: [Int: (sigmoid: Int, mul: Int)] = [:]

    /// Whether the Convs run on oneDNN's convolution primitives on channels-last tensors
    /// (`ChannelsLastConvolution`), the layout kept from one Conv to the next and changed back only where
    /// another operator reads the value. Values then differ from the plain pass by a few ulp of the
    /// largest term (oneDNN sums in its own order). Off in `none`, and when FEATMAP_CHANNELS_LAST=0.
    public var channelsLast = false

    /// FEATMAP_CHANNELS_LAST=0 turns the channels-last Convs off (to compare the two paths).
    static let channelsLastAllowed: Bool = {
        guard let s = getenv("FEATMAP_CHANNELS_LAST") else { return true }
        return String(cString: s) != "0"
    }()

    /// Folds nothing: every node's output is its own tensor, for passes that show every layer.
    static let none = FusionPlan()

    /// Activation nodes that do not run on their own.
    var folded: Set<Int> {
        Set(activation.values).union(residual.values.map(\.add)).union(silu.values.flatMap { [$0.sigmoid, $0.mul] })
    }

    init() {}

    /// The plan for nodes 0...end of `graph`; `channelsLast` as above (and only when FEATMAP_CHANNELS_LAST allows it).
    init(_ graph: Graph, end: Int, channelsLast: Bool = true) {
        self.channelsLast = channelsLast && Self.channelsLastAllowed
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
        // The activation node that alone reads `value` (as its first input), when it can run with a Conv at `i`.
        func soleActivation(of value: String, conv i: Int) -> Int? {
            guard let j = soleReader(value), graph.isActivation(nodes[j]), nodes[j].inputs.first == value,
                  nodes[j].inputs.dropFirst().allSatisfy({ availableBefore($0, i) }) else { return nil }
            return j
        }
        // The Sigmoid and Mul that alone read `value` and compute value · σ(value).
        func siluNodes(of value: String) -> (sigmoid: Int, mul: Int)? {
            guard !value.isEmpty, !graphOutputs.contains(value), let r = readers[value], r.count == 2 else { return nil }
            for (s, m) in [(r[0], r[1]), (r[1], r[0])] where nodes[s].op == "Sigmoid" && nodes[m].op == "Mul" {
                guard nodes[s].inputs == [value], let sigma = nodes[s].outputs.first, soleReader(sigma) == m,
                      graph.operatorUnit(of: nodes[m]) is ArithmeticOperator, graph.isActivation(nodes[s]),
                      Set(nodes[m].inputs) == [value, sigma], nodes[m].inputs.count == 2 else { return nil }
                return (s, m)
            }
            return nil
        }
        for i in 0...end where graph.isConvolution(i) {
            guard let out = nodes[i].outputs.first else { continue }
            if let j = soleActivation(of: out, conv: i) {
                activation[i] = j
            } else if let pair = siluNodes(of: out) {
                silu[i] = pair
            } else if let j = soleReader(out), nodes[j].op == "Add", graph.operatorUnit(of: nodes[j]) is ArithmeticOperator,
                      nodes[j].inputs.count == 2, nodes[j].inputs.filter({ $0 == out }).count == 1,
                      let shortcut = nodes[j].inputs.first(where: { $0 != out }), producer[shortcut].map({ $0 < i }) ?? false,
                      let sum = nodes[j].outputs.first {
                // The shortcut must be a computed tensor (its shape is checked against the Conv's output
                // when the pass runs); a constant would be broadcast.
                residual[i] = (j, shortcut)
                if let k = soleActivation(of: sum, conv: i) { activation[i] = k }
            }
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
                guard let conv, residual[conv] == nil, let w = graph.weights[nodes[conv].inputs.count > 1 ? nodes[conv].inputs[1] : ""], w.rank == 4 else { break }
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
