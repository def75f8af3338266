extension Graph {
    /// The `Pooling` a MaxPool/AveragePool node applies to an input of `height` × `width` (auto_pad resolved),
    /// or nil when the node is not such a pooling layer.
    public func pooling(atNode i: Int, height: Int, width: Int) throws -> Pooling? {
        guard nodes.indices.contains(i), ["MaxPool", "AveragePool"].contains(nodes[i].op) else { return nil }
        do { return try pooling(of: nodes[i], height: height, width: width) } catch let e as EngineError {
            throw ModelError.layerFailed(node: layerNames[i], op: nodes[i].op, reason: e.description)
        }
    }

    func pooling(of node: GraphNode, height: Int, width: Int) throws -> Pooling {
        guard let k = node.ints("kernel_shape"), k.count == 2 else {
            throw EngineError.invalidParameter("pooling needs a 2-D kernel_shape")
        }
        let kernel = Pair(k[0], k[1]), stride = pair(node.ints("strides"), default: 1)
        let dilation = pair(node.ints("dilations"), default: 1)
        let padding = try self.padding(node, kernel: kernel, stride: stride, dilation: dilation,
                                       input: Tensor(shape: [1, height, width], repeating: 0))
        return Pooling(kind: node.op == "MaxPool" ? .max : .average, kernel: kernel, stride: stride, padding: padding,
                       dilation: dilation, ceilMode: node.int("ceil_mode", default: 0) != 0,
                       countIncludePad: node.int("count_include_pad", default: 0) != 0)
    }
}
