extension Graph {
    /// The `Pooling` a MaxPool/AveragePool node applies to an input of `height` × `width` (auto_pad resolved),
    /// or nil when the node is not such a pooling layer.
    public func pooling(atNode i: Int, height: Int, width: Int) throws -> Pooling? {
        guard nodes.indices.contains(i), let unit = operatorUnit(of: nodes[i]) as? WindowPoolingOperator else { return nil }
        do { return try nodes[i].pooling(kind: unit.kind, height: height, width: width) } catch let e as EngineError {
            throw ModelError.layerFailed(node: layerNames[i], op: nodes[i].op, reason: e.description)
        }
    }

    /// Whether node `i` is a sliding-window pooling layer (MaxPool, AveragePool).
    public func isWindowPooling(_ i: Int) -> Bool { nodes.indices.contains(i) && operatorUnit(of: nodes[i]) is WindowPoolingOperator }
}
