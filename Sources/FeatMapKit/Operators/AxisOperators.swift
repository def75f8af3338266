/// Operators that add, remove or repeat axes: Squeeze, Unsqueeze, Expand and Tile.

/// Squeeze removes size-1 axes (all of them without `axes`); Unsqueeze inserts size-1 axes at the
/// given positions of the output. The axes are an attribute before opset 13 and an input from 13
/// (optional for Squeeze).
struct SqueezeOperator: OperatorUnit {
    var inserts: Bool
    var axesAsInput: Bool
    var role: OperatorRole { .other }

    func axes(_ node: GraphNode, _ value: Tensor?) throws -> [Int]? {
        axesAsInput ? value.map(ShapeRules.integers) : node.ints("axes")
    }

    func reshaped(_ shape: [Int], axes: [Int]?) throws -> [Int] {
        if inserts {
            guard let axes else { throw EngineError.invalidParameter("Unsqueeze needs its axes") }
            let rank = shape.count + axes.count
            let positions = Set(try ShapeRules.axes(axes, rank: rank))
            var rest = shape.makeIterator()
            return (0..<rank).map { positions.contains($0) ? 1 : rest.next()! }
        }
        guard let axes, !axes.isEmpty else { return shape.filter { $0 != 1 } }
        let drop = Set(try ShapeRules.axes(axes, rank: shape.count))
        for a in drop where shape[a] != 1 { throw EngineError.invalidParameter("Squeeze cannot remove axis \(a) of size \(shape[a]) from \(shape)") }
        return shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [x.reshaped(try reshaped(x.shape, axes: try axes(node, inputs.optional(1))))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let value = axesAsInput && inputs.has(1) ? try inputs.requiredConstant(1, "axes") : nil
        return [try reshaped(try inputs.shape(0), axes: try axes(node, value))]
    }

    /// Only adding or removing a batch axis of one keeps the feature maps as they were.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let input = node.inputs.first ?? ""
        if s.outputShape.count == 3, context.shape(of: input) == s.outputShape {
            s.recordPointwise(inputField: context.fields[input] ?? .notSpatial)
        } else {
            s.field = .notSpatial
        }
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws { context.add(0, context.gradient) }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// Expand: the input broadcast (NumPy's rules, both ways) with the shape its second input holds.
struct ExpandOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func target(_ x: [Int], _ shape: Tensor) throws -> [Int] {
        let t = try ShapeRules.sizes(shape, "Expand's shape")
        return try ShapeRules.broadcast([x, t])
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try x.broadcast(to: try target(x.shape, try inputs.required(1)))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        [try target(try inputs.shape(0), try inputs.requiredConstant(1, "shape"))]
    }

    /// Repeating maps along the batch or channels keeps the cells; stretching H or W does not.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordCopy(of: node.inputs.first ?? "", context)
    }

    /// Each input cell feeds every output cell it was copied to: their gradients add up.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        context.add(0, Elementwise.unbroadcast(context.gradient, from: context.output.shape, to: try context.input(0).shape))
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// Tile: the input repeated `repeats[a]` times along each axis a (opset 6 on; input 2 holds the repeats).
struct TileOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func maps(_ shape: [Int], _ repeats: Tensor) throws -> [[Int?]] {
        let r = try ShapeRules.sizes(repeats, "Tile's repeats")
        guard r.count == shape.count else { throw EngineError.invalidParameter("Tile has \(r.count) repeats for a tensor of rank \(shape.count)") }
        return (0..<shape.count).map { a in (0..<(shape[a] * r[a])).map { $0 % shape[a] } }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [x.indexed(by: try maps(x.shape, try inputs.required(1)))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0), r = try ShapeRules.sizes(try inputs.requiredConstant(1, "repeats"), "Tile's repeats")
        guard r.count == x.count else { throw EngineError.invalidParameter("Tile has \(r.count) repeats for a tensor of rank \(x.count)") }
        return [zip(x, r).map { $0 * $1 }]
    }

    /// Tiling the channels keeps each cell's field; tiling H or W repeats the image, which no one field describes.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordCopy(of: node.inputs.first ?? "", context)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        context.add(0, Tensor.scatteredBack(context.gradient, into: x.shape, by: try maps(x.shape, try context.input(1))))
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}
