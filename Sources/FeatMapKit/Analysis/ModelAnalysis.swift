/// What `featmap info` reports for a model at one input size: per layer shape, parameters,
/// multiply-accumulates and receptive field, and the totals.
public struct ModelAnalysis: Sendable {
    /// [C, H, W] of the network input.
    public var inputShape: [Int]
    public var layers: [LayerSummary]
    /// Why the analysis stopped before the end of the graph (an unsupported operator), if it did.
    public var stoppedBy: ModelError?

    public var totalParameters: Int { layers.reduce(0) { $0 + $1.parameters } }
    public var totalMultiplyAccumulates: Int { layers.reduce(0) { $0 + $1.multiplyAccumulates } }

    /// The layer summary for a node index, when that node was analysed.
    public func layer(atNode index: Int) -> LayerSummary? { layers.first { $0.index == index } }

    /// The field of one channel of a node: for a channel concatenation, the field of the branch the channel
    /// comes from (a Fire module's 1×1 channels see less than its 3×3 ones); for other nodes the layer's.
    public func field(ofChannel channel: Int, atNode index: Int, in graph: Graph) -> LayerField? {
        guard let summary = layer(atNode: index) else { return nil }
        let node = graph.nodes[index]
        // Tensors run as [1, C, H, W]: the channel axis is 1 (or −3 counted from the end).
        let axis = node.int("axis", default: 1)
        guard graph.isConcatenation(index), axis == 1 || axis == -3 else { return summary.field }
        var start = 0
        for name in node.inputs {
            guard let producer = graph.nodes.firstIndex(where: { $0.outputs.first == name }),
                  let part = layer(atNode: producer), part.outputShape.count == 3 else { return summary.field }
            if channel < start + part.outputShape[0] {
                return field(ofChannel: channel - start, atNode: producer, in: graph)
            }
            start += part.outputShape[0]
        }
        return summary.field
    }
}

extension Graph {
    /// Shapes come from static shape inference (`prepared(inputShape:)`), nothing runs; fields follow
    /// `ReceptiveField`. Folded constants are not layers. The analysis stops at the first operator
    /// featmap does not implement, with that as `stoppedBy`.
    public func analysed(channels: Int, height: Int, width: Int) throws -> ModelAnalysis {
        guard channels >= 1, height >= 1, width >= 1 else {
            throw ModelError.badInput("the input size \(channels)×\(height)×\(width) has an empty axis; give --input H×W with both at least 1")
        }
        let laid = inputShape.count == 4 ? [1, channels, height, width] : [channels, height, width]
        let preparation: PreparedGraph
        do { preparation = try prepared(inputShape: laid) } catch let e as ModelError {
            return ModelAnalysis(inputShape: [channels, height, width], layers: [], stoppedBy: e)
        }
        var shapes: [String: [Int]] = [inputName: [channels, height, width]]
        var fields: [String: LayerField] = [inputName: .spatial(.input)]
        var layers: [LayerSummary] = []
        var stop: ModelError? = nil
        for (i, node) in nodes.enumerated() {
            if let failure = preparation.failure, failure.node == i { stop = failure.error; break }
            if preparation.foldedNodes.contains(i) {
                for name in node.outputs where !name.isEmpty { fields[name] = .notSpatial }
                continue
            }
            guard operatorUnit(of: node) != nil else { stop = .unsupportedOperator(node: layerNames[i], op: node.op); break }
            guard let first = node.outputs.first, let shape = preparation.shapes[first] else {
                stop = .layerFailed(node: layerNames[i], op: node.op, reason: "its output shape is unknown"); break
            }
            let output = Graph.spatialShape(shape)
            for name in node.outputs where !name.isEmpty { shapes[name] = preparation.shapes[name].map(Graph.spatialShape) }
            do {
                let summary = try summarise(node: i, outputShape: output, shapes: shapes, fields: fields,
                                            constants: preparation.constants)
                for name in node.outputs where !name.isEmpty { fields[name] = summary.field }
                layers.append(summary)
            } catch let e as ModelError {
                stop = e; break
            }
        }
        return ModelAnalysis(inputShape: [channels, height, width], layers: layers, stoppedBy: stop)
    }

    /// [C, H, W] for a batch of one, the shape itself otherwise.
    static func spatialShape(_ shape: [Int]) -> [Int] {
        shape.count == 4 && shape[0] == 1 ? Array(shape.dropFirst()) : shape
    }

    func summarise(node i: Int, outputShape: [Int], shapes: [String: [Int]],
                   fields: [String: LayerField], constants: [String: Tensor] = [:]) throws -> LayerSummary {
        let node = nodes[i]
        let firstInput = node.inputs.first ?? ""
        let inputShape = shapes[firstInput] ?? weights[firstInput]?.shape ?? []
        var s = LayerSummary(index: i, name: layerNames[i], op: node.op, inputShape: inputShape, outputShape: outputShape,
                             parameters: parameterCount(ofNode: i), multiplyAccumulates: 0, field: .notSpatial)
        guard let unit = operatorUnit(of: node) else { throw ModelError.unsupportedOperator(node: s.name, op: node.op) }
        do {
            try unit.summarise(&s, node, SummaryContext(graph: self, shapes: shapes, fields: fields, constants: constants))
        } catch let e as EngineError {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: e.description)
        }
        return s
    }

    /// The one-layer network that applying a classic kernel amounts to, seen as a CNN layer: one filter
    /// of the kernel's size over every input channel, with a bias, "same" padding at the kernel's anchor.
    public static func singleConvolution(kernel: Kernel, channels: Int) throws -> Graph {
        let weights = Tensor(shape: [1, channels, kernel.height, kernel.width],
                             storage: Array([[Float]](repeating: kernel.values, count: channels).joined()))
        let a = kernel.effectiveAnchor
        let p = Padding.same(kernelHeight: kernel.height, kernelWidth: kernel.width, anchor: (a.y, a.x))
        let node = GraphNode(op: "Conv", name: kernel.name, inputs: ["image", "weight", "bias"], outputs: ["response"],
                             attributes: ["pads": .ints([p.top, p.left, p.bottom, p.right]), "strides": .ints([1, 1])])
        return try Graph(nodes: [node], weights: ["weight": weights, "bias": Tensor(shape: [1], storage: [kernel.offset])],
                         inputName: "image", inputShape: [1, channels, -1, -1], outputs: ["response"], opset: 13,
                         file: kernel.name)
    }
}
