/// ReduceSum, ReduceMean, ReduceMax and ReduceL2. The axes are an attribute until ReduceSum's opset 13
/// and the others' opset 18, then an optional input, with `noop_with_empty_axes` saying whether no axes
/// means every axis (0, the default) or none (1). Absent axes always mean every axis; keepdims defaults to 1.
///
/// The role is static per operator, and in CNNs these are almost always the global pooling of a head
/// (torchvision's exporters write ReduceMean over H and W for adaptive_avg_pool2d) or a reduction after
/// it: so they end the default selection, as Flatten does.
struct ReduceOperator: OperatorUnit {
    var kind: Reduction.Kind
    var axesAsInput: Bool
    var role: OperatorRole { .endsSpatialLayout }

    /// The reduction of an input of `rank` axes, or nil when the node reduces nothing (empty axes with
    /// noop_with_empty_axes): then the output is the input.
    func reduction(_ node: GraphNode, rank: Int, axesInput: Tensor?) throws -> Reduction? {
        let keep = node.int("keepdims", default: 1) != 0
        var axes: [Int]
        if axesAsInput {
            axes = axesInput?.storage.map(Int.init(saturating:)) ?? []
            if axes.isEmpty && node.int("noop_with_empty_axes", default: 0) != 0 { return nil }
        } else {
            axes = node.ints("axes") ?? []
        }
        if axes.isEmpty { axes = Array(0..<rank) }
        return try Reduction(kind: kind, axes: axes, rank: rank, keepsDimensions: keep)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        guard let r = try reduction(node, rank: x.rank, axesInput: axesAsInput ? inputs.optional(1) : nil) else { return [x] }
        return [r.applied(to: x)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let axes = axesAsInput && inputs.has(1) ? try inputs.requiredConstant(1, "axes") : nil
        guard let r = try reduction(node, rank: x.count, axesInput: axes) else { return [x] }
        return [r.outputShape(x)]
    }

    /// Over H and W the whole map is the window (as GlobalAveragePool), over one of them with keepdims
    /// a full column or row; a reduction that keeps H and W (over channels) keeps its input's field.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let inputField = context.fields[node.inputs.first ?? ""] ?? .notSpatial
        guard case .spatial(let f) = inputField, s.inputShape.count == 3 else {
            s.field = s.outputShape.count == 3 ? inputField : .notSpatial
            return
        }
        // The analysis lays a feature map out as [1, C, H, W] when the graph declares four axes and
        // shows it as [C, H, W].
        let rank = context.graph.inputShape.count == 4 ? 4 : 3
        let axesInput = axesAsInput && node.inputs.count > 1 ? context.constant(of: node.inputs[1]) : nil
        guard let r = try reduction(node, rank: rank, axesInput: axesInput) else {
            s.recordPointwise(inputField: inputField)
            return
        }
        let overH = r.axes.contains(rank - 2), overW = r.axes.contains(rank - 1)
        let (h, w) = (s.inputShape[1], s.inputShape[2])
        switch (overH, overW) {
        case (false, false): s.recordPointwise(inputField: inputField)
        case (true, true), (true, false) where r.keepsDimensions, (false, true) where r.keepsDimensions:
            let window = Pair(overH ? h : 1, overW ? w : 1)
            s.kernel = window
            s.field = .spatial(f.through(kernel: window, stride: .one, before: Pair(0, 0)))
        default: s.field = .notSpatial
        }
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        let axesInput = axesAsInput && node.inputs.count > 1 ? context.inputs[1] : nil
        guard let r = try reduction(node, rank: x.rank, axesInput: axesInput) else {
            context.add(0, context.gradient)
            return
        }
        context.add(0, r.inputGradient(context.gradient, input: x, output: context.output))
    }

    /// The axes are not learned.
    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}
