/// Comparison and selection with NumPy broadcasting: Equal (a boolean, stored as 0/1) and Where.

/// Equal: 1 where a = b, else 0 (NaN equals nothing), broadcast to the inputs' common shape.
struct EqualOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let a = try inputs.required(0), b = try inputs.required(1)
        let shape = try ShapeRules.broadcast([a.shape, b.shape])
        let x = try a.broadcast(to: shape), y = try b.broadcast(to: shape)
        return [Tensor(shape: shape, storage: zip(x.storage, y.storage).map { $0 == $1 ? 1 : 0 })]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        [try ShapeRules.broadcast([try inputs.shape(0), try inputs.shape(1)])]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.recordJoin(of: node.inputs, context) }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// Where: x where the condition is true (non-zero), y elsewhere, all three broadcast together.
struct WhereOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let c = try inputs.required(0), x = try inputs.required(1), y = try inputs.required(2)
        let shape = try ShapeRules.broadcast([c.shape, x.shape, y.shape])
        let cb = try c.broadcast(to: shape).storage, xb = try x.broadcast(to: shape).storage, yb = try y.broadcast(to: shape).storage
        return [Tensor(shape: shape, storage: (0..<cb.count).map { cb[$0] != 0 ? xb[$0] : yb[$0] })]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        [try ShapeRules.broadcast([try inputs.shape(0), try inputs.shape(1), try inputs.shape(2)])]
    }

    /// Each output cell is the same cell of x or of y.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.recordJoin(of: node.inputs, context) }

    /// The gradient goes to x where the condition holds and to y elsewhere (inputs of the output's shape).
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let shape = context.output.shape, g = context.gradient
        let c = try context.input(0).broadcast(to: shape).storage
        for k in 1...2 where context.carries(k) {
            guard try context.input(k).shape == shape else {
                throw EngineError.shapeMismatch("Where broadcasts an activation of shape \(try context.input(k).shape) to \(shape)")
            }
            context.add(k, (0..<g.count).map { (c[$0] != 0) == (k == 1) ? g[$0] : 0 })
        }
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}
