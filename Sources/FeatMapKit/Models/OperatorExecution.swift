/// How the graph reaches its operators: every question about a node's operator goes to the unit
/// that `OperatorRegistry` holds for its op type at the graph's opset.
extension Graph {
    /// The unit implementing `node`'s operator at this graph's opset, or nil when featmap has none.
    func operatorUnit(of node: GraphNode) -> (any OperatorUnit)? { OperatorRegistry.unit(for: node.op, opset: opset) }

    /// Whether node `i` is a convolution (a layer with learned filters `featmap filters` can draw).
    public func isConvolution(_ i: Int) -> Bool { nodes.indices.contains(i) && operatorUnit(of: nodes[i]) is ConvOperator }

    /// Whether node `i` joins its inputs along an axis (its channels come from different branches).
    public func isConcatenation(_ i: Int) -> Bool { nodes.indices.contains(i) && operatorUnit(of: nodes[i]) is ConcatOperator }

    /// Whether `node` is an elementwise activation (which a Conv can apply to its blocks).
    func isActivation(_ node: GraphNode) -> Bool { operatorUnit(of: node)?.activation(node, []) != nil }

    /// Tensors keep ONNX layout ([N, C, H, W]); the spatial layers run the engine's [C, H, W] calls
    /// once per batch item.
    func evaluate(_ node: GraphNode, index: Int, _ args: [Tensor?]) throws -> [Tensor] {
        let label = layerNames.indices.contains(index) ? layerNames[index] : node.op
        guard let unit = operatorUnit(of: node) else { throw ModelError.unsupportedOperator(node: label, op: node.op) }
        do {
            return try unit.forward(node, OperatorInputs(values: args, opset: opset))
        } catch let e as EngineError {
            throw ModelError.layerFailed(node: label, op: node.op, reason: e.description)
        }
    }

    /// The elementwise activation `node` computes, or nil for other operators.
    func activation(_ node: GraphNode, _ args: [Tensor?]) -> Activation? { operatorUnit(of: node)?.activation(node, args) }
}
