import Foundation

/// One node's result in a forward pass.
public struct LayerActivation: Sendable {
    /// Position in the graph's node order.
    public var index: Int
    public var name: String
    public var op: String
    /// The node's first output in ONNX layout (e.g. [1, C, H, W]).
    public var output: Tensor
    public var parameters: Int
    public var milliseconds: Double

    /// The output as feature maps [C, H, W] when it has that form (batch of one, four axes).
    public var featureMaps: Tensor? {
        let s = output.shape
        if s.count == 4 && s[0] == 1 { return Tensor(shape: Array(s.dropFirst()), storage: output.storage) }
        if s.count == 3 { return output }
        return nil
    }
}

/// What a forward pass computed: the kept layers, the final output when it got there, and the
/// error that stopped it early otherwise.
public struct ForwardResult: Sendable {
    public var layers: [LayerActivation]
    /// The graph's first output, when the pass reached it.
    public var output: Tensor?
    public var stoppedBy: ModelError?
    public var totalMilliseconds: Double
    /// Parameter count, operator and time of every node that ran, kept or not.
    public var nodesRun: Int
}

extension Graph {
    /// Runs the graph on one input. `input` is [C, H, W] (or already in the declared layout); a
    /// batch axis of one is added when the graph declares four axes, whatever batch size it declares.
    /// Only the outputs of nodes for which `keep` is true are kept; other values are freed as soon
    /// as no later node needs them. The pass stops after node `last` when given.
    public func forward(_ input: Tensor, keep: (Int) -> Bool = { _ in false }, last: Int? = nil) -> ForwardResult {
        var x = input
        if inputShape.count == 4 && input.rank == 3 { x = input.reshaped([1] + input.shape) }
        var values: [String: Tensor] = [inputName: x]
        let end = min(last ?? nodes.count - 1, nodes.count - 1)
        // Last reader of each value, so intermediate tensors are freed early.
        var lastUse: [String: Int] = [:]
        for (i, node) in nodes.enumerated() where i <= end { for name in node.inputs { lastUse[name] = i } }
        let outputSet = Set(outputs)
        var kept: [LayerActivation] = []
        var total = 0.0, ran = 0
        var stop: ModelError? = nil
        for i in 0...max(end, -1) where end >= 0 {
            let node = nodes[i]
            let started = DispatchTime.now().uptimeNanoseconds
            let results: [Tensor]
            do {
                let args = node.inputs.map { $0.isEmpty ? nil : (values[$0] ?? weights[$0]) }
                results = try evaluate(node, args)
            } catch let e as ModelError {
                stop = e; break
            } catch {
                stop = .layerFailed(node: layerNames[i], op: node.op, reason: "\(error)"); break
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            total += ms
            ran += 1
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { values[name] = value }
            if keep(i), let first = results.first {
                kept.append(LayerActivation(index: i, name: layerNames[i], op: node.op, output: first,
                                            parameters: parameterCount(ofNode: i), milliseconds: ms))
            }
            for name in node.inputs where lastUse[name] == i && name != inputName && !outputSet.contains(name) {
                values[name] = nil
            }
        }
        let output = stop == nil ? outputs.first.flatMap { values[$0] } : nil
        return ForwardResult(layers: kept, output: output, stoppedBy: stop, totalMilliseconds: total, nodesRun: ran)
    }
}
