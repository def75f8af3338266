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
    /// How many nodes ran.
    public var nodesRun: Int
}

extension Graph {
    static let activationOperators: Set<String> = ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip"]

    /// Runs the graph on one input. `input` is [C, H, W] (or already in the declared layout); a
    /// batch axis of one is added when the graph declares four axes, whatever batch size it declares.
    /// Only the outputs of nodes for which `keep` is true are kept; other values are freed as soon
    /// as no later node needs them. The pass stops after node `last` when given.
    public func forward(_ input: Tensor, keep: (Int) -> Bool = { _ in false }, last: Int? = nil) -> ForwardResult {
        var kept: [LayerActivation] = []
        var result = forward(input, last: last) { layer in if keep(layer.index) { kept.append(layer) } }
        result.layers = kept
        return result
    }

    /// Runs the graph and hands each node's result to `observe` as soon as it is computed, keeping
    /// nothing: memory stays at what the live intermediate tensors need, whatever the graph's length.
    /// An error thrown by `observe` stops the pass and is returned as `stoppedBy` when it is a `ModelError`.
    public func forward(_ input: Tensor, last: Int? = nil, observe: (LayerActivation) throws -> Void) -> ForwardResult {
        var x = input
        if inputShape.count == 4 && input.rank == 3 { x = input.reshaped([1] + input.shape) }
        var values: [String: Tensor] = [inputName: x]
        let end = min(last ?? nodes.count - 1, nodes.count - 1)
        // Last reader of each value, so intermediate tensors are freed early.
        var lastUse: [String: Int] = [:]
        for (i, node) in nodes.enumerated() where i <= end { for name in node.inputs { lastUse[name] = i } }
        let outputSet = Set(outputs)
        var total = 0.0, ran = 0
        var stop: ModelError? = nil
        for i in 0...max(end, -1) where end >= 0 {
            let node = nodes[i]
            let started = DispatchTime.now().uptimeNanoseconds
            var results: [Tensor]
            do {
                // An activation whose input nobody reads later works in place on that tensor.
                if let source = node.inputs.first, lastUse[source] == i, source != inputName, !outputSet.contains(source),
                   Graph.activationOperators.contains(node.op), var t = values.removeValue(forKey: source) {
                    let bounds = node.inputs.dropFirst().map { $0.isEmpty ? nil : (values[$0] ?? weights[$0]) }
                    guard let activation = activation(node, [nil] + bounds) else { throw ModelError.unsupportedOperator(node: layerNames[i], op: node.op) }
                    activation.apply(to: &t)
                    results = [t]
                } else {
                    let args = node.inputs.map { $0.isEmpty ? nil : (values[$0] ?? weights[$0]) }
                    results = try evaluate(node, index: i, args)
                }
            } catch let e as ModelError {
                stop = e; break
            } catch {
                stop = .layerFailed(node: layerNames[i], op: node.op, reason: "\(error)"); break
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            total += ms
            ran += 1
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { values[name] = value }
            if let first = results.first {
                do {
                    try observe(LayerActivation(index: i, name: layerNames[i], op: node.op, output: first,
                                                parameters: parameterCount(ofNode: i), milliseconds: ms))
                } catch let e as ModelError {
                    stop = e; break
                } catch {
                    stop = .layerFailed(node: layerNames[i], op: node.op, reason: "\(error)"); break
                }
            }
            for name in node.inputs where lastUse[name] == i && name != inputName && !outputSet.contains(name) {
                values[name] = nil
            }
        }
        let output = stop == nil ? outputs.first.flatMap { values[$0] } : nil
        return ForwardResult(layers: [], output: output, stoppedBy: stop, totalMilliseconds: total, nodesRun: ran)
    }
}
