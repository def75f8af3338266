/// The learned filters `featmap filters` draws.
extension Graph {
    /// The convolution named `layer`, or the first convolution when `layer` is nil; `source` names the
    /// model in the error when it has none.
    public func convolutionNode(named layer: String?, source: String) throws -> Int {
        if let layer {
            let index = try nodeIndex(named: layer)
            guard isConvolution(index) else {
                let convs = nodes.indices.filter(isConvolution).map { layerNames[$0] }
                throw ModelError.badInput("layer '\(layer)' is a \(nodes[index].op), not a convolution; convolutions are: \(convs.joined(separator: ", "))")
            }
            return index
        }
        guard let first = nodes.indices.first(where: isConvolution) else {
            throw ModelError.badInput("\(source) has no convolution layer, so there are no filters to draw")
        }
        return first
    }

    /// The weights of the convolution at `index` as stored in the file ([O, I, KH, KW]).
    public func storedFilters(atNode index: Int) throws -> Tensor {
        let node = nodes[index]
        guard node.inputs.count > 1, let weights = weights[node.inputs[1]] else {
            throw ModelError.badInput("layer '\(layerNames[index])' takes its weights from another layer's output, not from the file; featmap draws only stored filters")
        }
        return weights
    }
}
