/// The graph before it runs, for one input shape: every value's static shape (each unit's
/// `outputShapes`), the values that are constants folded at preparation (Constant nodes, subgraphs
/// computed only from initializers and shapes, such as Shape → Gather → Unsqueeze → Concat → Reshape's
/// target, or a weight reshaped by a node), and the activation memory the pass needs at its peak.
/// Built once per model and input size; the forward pass only executes it.
public struct PreparedGraph: Sendable {
    /// The graph input's shape, as the pass receives it.
    public var inputShape: [Int]
    /// Every value's shape, by name: inputs, initializers and node outputs.
    public var shapes: [String: [Int]]
    /// Values known before the pass runs, by name (node outputs only; initializers stay in `Graph.weights`).
    var constants: [String: Tensor]
    /// Nodes whose outputs are all folded constants: they never run in the pass and are not layers.
    public var foldedNodes: Set<Int>
    /// The first node whose shape rule failed, and why: the pass runs the nodes before it and stops there,
    /// as it does at an operator featmap does not implement.
    public var failure: (node: Int, error: ModelError)?
    /// The channels-last Convs' oneDNN primitives for this input shape, made on first use and kept for
    /// every pass that reuses this preparation.
    var channelsLastPlans = ChannelsLastPlans()
}

/// A constant over the memory limit: it stops the preparation rather than becoming the failing node.
private struct Refusal: Error { var error: ModelError }

extension Graph {
    /// The nodes on the data path: those that read the graph input, directly or through other data-path
    /// nodes. A node that reads only the shape of its input (Shape) starts no data path, so the subgraphs
    /// that compute shapes and the nodes that transform weights are off it.
    public var dataPathNodes: Set<Int> {
        var data: Set<String> = [inputName]
        var result = Set<Int>()
        for (i, node) in nodes.enumerated() where node.inputs.contains(where: data.contains) {
            guard operatorUnit(of: node)?.readsOnlyShapes != true else { continue }
            result.insert(i)
            data.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        return result
    }

    /// Shapes, folded constants and the memory plan for a pass on an input of `shape` (the graph's
    /// layout: [N, C, H, W] when the graph declares four axes). Dimensions the file leaves open take the
    /// input's size. A fixed channel count that disagrees is an error; the batch axis is not checked
    /// (old exporters fixed it at 10 where any batch runs), nor are height and width, since convolutional
    /// layers run at any size (SqueezeNet declares 224×224 and runs at 1024²): where a later node cannot
    /// take the size (a Gemm after a Flatten), its own shape rule says so, naming the node.
    public func prepared(inputShape shape: [Int]) throws -> PreparedGraph {
        if inputShape.count == shape.count, shape.count >= 3 {
            let axis = shape.count - 3
            if inputShape[axis] > 0 && inputShape[axis] != shape[axis] {
                throw ModelError.badInput("the input has \(shape[axis]) channels (shape \(shape)), but the model declares \(inputShape[axis]) (shape \(inputShape)); give it \(inputShape[axis] == 1 ? "a greyscale image (--gray)" : "an input with \(inputShape[axis]) channels")")
            }
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw ModelError.badInput("the input shape \(shape) has a negative size") }
        var shapes: [String: [Int]] = [inputName: shape]
        for (name, w) in weights { shapes[name] = w.shape }
        var constants: [String: Tensor] = [:]
        var folded = Set<Int>()
        var failure: (node: Int, error: ModelError)? = nil
        let dataPath = dataPathNodes
        for (i, node) in nodes.enumerated() {
            let label = layerNames[i]
            guard let unit = operatorUnit(of: node) else {
                // Its outputs' shapes are unknown, and so are everything's after it that reads them.
                continue
            }
            let present = node.inputs.map { $0.isEmpty ? nil : $0 }
            // An input whose shape is unknown (after an unsupported operator) leaves this node unknown too.
            guard present.allSatisfy({ $0 == nil || shapes[$0!] != nil }) else { continue }
            let inputs = ShapeInputs(shapes: present.map { $0.flatMap { shapes[$0] } },
                                     constants: present.map { $0.flatMap { constants[$0] ?? weights[$0] } }, opset: opset)
            do {
                var values: [Tensor]? = nil
                if !dataPath.contains(i) {
                    let limit = memoryLimit ?? Graph.defaultMemoryLimit
                    if let (s, bytes) = Graph.oversizedOutput(unit, node, inputs, limit: limit) {
                        throw Refusal(error: .badInput("node '\(label)' (\(node.op)) would compute a constant of shape \(s) for an input of \(shape), which needs \(ByteCount(bytes)), more than --max-memory \(ByteCount(limit)); refused before allocating it — use a smaller input or a larger --max-memory"))
                    }
                    if let fromShapes = try unit.valuesFromShapes(node, inputs) {
                        values = fromShapes
                    } else if present.allSatisfy({ $0 == nil || constants[$0!] != nil || weights[$0!] != nil }) {
                        values = try unit.forward(node, OperatorInputs(values: inputs.constants, opset: opset))
                    }
                }
                if let values {
                    for (name, value) in zip(node.outputs, values) where !name.isEmpty {
                        constants[name] = value
                        shapes[name] = value.shape
                    }
                    folded.insert(i)
                    continue
                }
                let out = try unit.outputShapes(node, inputs)
                for (name, s) in zip(node.outputs, out) where !name.isEmpty {
                    guard s.allSatisfy({ $0 >= 0 }) else {
                        throw EngineError.shapeMismatch("its output shape \(s) has a negative size")
                    }
                    shapes[name] = s
                }
            } catch let refusal as Refusal {
                throw refusal.error
            } catch {
                let reason = (error as? EngineError)?.description ?? (error as? ModelError)?.description ?? "\(error)"
                failure = (i, .layerFailed(node: label, op: node.op, reason: reason))
                break
            }
        }
        return PreparedGraph(inputShape: shape, shapes: shapes, constants: constants, foldedNodes: folded, failure: failure)
    }

    /// The memory plan: walking the nodes in order, each output is allocated when its node runs and freed
    /// after its last reader, as the forward pass frees it; the input lives through the whole pass. The
    /// peak is the largest sum alive, in bytes of float32 (saturating at Int.max for absurd shapes).
    public func peakActivationBytes(_ prepared: PreparedGraph, through end: Int? = nil) -> Int {
        let shapes = prepared.shapes, folded = prepared.foldedNodes, input = prepared.inputShape
        let last = min(end ?? nodes.count - 1, nodes.count - 1)
        func bytes(_ s: [Int]?) -> Int {
            var n = 4
            for d in s ?? [] {
                let (p, overflow) = n.multipliedReportingOverflow(by: d)
                if overflow { return Int.max }
                n = p
            }
            return s == nil ? 0 : n
        }
        func plus(_ a: Int, _ b: Int) -> Int { let (s, o) = a.addingReportingOverflow(b); return o ? Int.max : s }
        var lastUse: [String: Int] = [:]
        for (i, node) in nodes.enumerated() where i <= last { for name in node.inputs { lastUse[name] = i } }
        let outputSet = Set(outputs)
        var alive = bytes(input), peak = alive
        var allocated = Set<String>()
        for (i, node) in nodes.enumerated() where i <= last && !folded.contains(i) {
            for name in node.outputs where !name.isEmpty && !allocated.contains(name) {
                alive = plus(alive, bytes(shapes[name]))
                allocated.insert(name)
            }
            peak = max(peak, alive)
            guard alive < Int.max else { return Int.max }
            for name in Set(node.inputs) where lastUse[name] == i && allocated.contains(name) && !outputSet.contains(name) {
                alive -= min(alive, bytes(shapes[name]))
            }
        }
        return peak
    }
}
