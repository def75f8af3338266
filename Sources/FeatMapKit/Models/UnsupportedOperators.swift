/// The operators of a graph that featmap does not implement, found when the model loads.
extension Graph {
    /// Operator families outside featmap's scope (it shows what image CNNs compute): recurrent,
    /// quantised and attention operators.
    static let outOfScope: [String: String] = {
        var m: [String: String] = [:]
        for op in ["GRU", "RNN", "Scan", "Loop", "If"] { m[op] = "recurrent (other than LSTM) and control-flow operators are outside featmap's scope" }
        for op in ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger",
                   "MatMulInteger", "QLinearAdd", "QLinearMul"] { m[op] = "quantised operators are outside featmap's scope; run the float model" }
        for op in ["Attention", "MultiHeadAttention", "RotaryEmbedding", "GroupQueryAttention"] { m[op] = "attention operators are outside featmap's scope" }
        return m
    }()

    /// One entry per unsupported operator type, in graph order: how many nodes use it and the first one.
    public var unsupportedOperators: [(op: String, count: Int, firstNode: Int)] {
        var order: [String] = [], counts: [String: Int] = [:], first: [String: Int] = [:]
        for (i, node) in nodes.enumerated() where operatorUnit(of: node) == nil {
            if counts[node.op] == nil { order.append(node.op); first[node.op] = i }
            counts[node.op, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!, first[$0]!) }
    }

    /// One line per unsupported operator type, in graph order, saying what would work.
    func unsupportedOperatorLines(file: String) -> [String] {
        unsupportedOperators.map { entry in
            let nodesText = entry.count == 1 ? "1 node" : "\(entry.count) nodes"
            var line = "warning: \(file): operator \(entry.op) (\(nodesText), the first '\(layerNames[entry.firstNode])') is not supported by featmap"
            if let why = Graph.outOfScope[entry.op] { line += " (\(why))" }
            if entry.firstNode > 0 {
                line += "; the pass stops there: use --upto \(layerNames[entry.firstNode - 1]) or an earlier layer"
            } else {
                line += "; it is the first node, so nothing can run"
            }
            return line
        }
    }
}
