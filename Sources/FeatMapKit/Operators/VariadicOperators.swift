/// Sum, Max, Min and Mean of one or more inputs, broadcast NumPy style (from opset 8; before it the
/// shapes had to be equal, which broadcasting covers). Sum joins branches as Add does (the Inception
/// and DenseNet graphs of the ONNX zoo use it for residual sums).
struct VariadicOperator: OperatorUnit {
    enum Kind: Sendable, Equatable { case sum, max, min, mean }
    var kind: Kind
    var role: OperatorRole { .featureMap }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let xs = try inputs.all()
        guard var acc = xs.first else { throw EngineError.invalidParameter("\(node.op) needs at least one input") }
        for x in xs.dropFirst() {
            switch kind {
            case .sum, .mean: acc = try Elementwise.broadcast(acc, x, +)
            // NaN wins, as in NumPy's maximum and minimum.
            case .max: acc = try Elementwise.broadcast(acc, x) { a, b in a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
            case .min: acc = try Elementwise.broadcast(acc, x) { a, b in a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }
            }
        }
        if kind == .mean {
            let n = Float(xs.count)
            acc.storage = acc.storage.map { $0 / n }
        }
        return [acc]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        guard inputs.count >= 1 else { throw EngineError.invalidParameter("\(node.op) needs at least one input") }
        return [try ShapeRules.broadcast(try (0..<inputs.count).map(inputs.shape))]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordJoin(of: node.inputs, context)
    }

    /// Sum passes the gradient to every input, Mean a 1/n share; Max and Min pass it to the input that
    /// won each element (the first of equal ones). Each is summed back over the axes the input was
    /// broadcast along.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let y = context.output, g = context.gradient
        let n = node.inputs.count
        var taken = [Bool](repeating: false, count: g.count)
        for k in 0..<n {
            let x = try context.input(k)
            var d: [Float]
            switch kind {
            case .sum: d = g
            case .mean: d = g.map { $0 / Float(n) }
            case .max, .min:
                // x stretched to the output's shape, then the cells where it is the first to equal y.
                let stretched = try Elementwise.broadcast(x, y) { a, _ in a }.storage
                d = [Float](repeating: 0, count: g.count)
                for j in 0..<g.count where !taken[j] && stretched[j] == y.storage[j] {
                    d[j] = g[j]
                    taken[j] = true
                }
            }
            context.add(k, Elementwise.unbroadcast(d, from: y.shape, to: x.shape))
        }
    }
}
