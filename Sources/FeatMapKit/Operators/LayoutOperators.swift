/// Reshape: the same values under another shape (0 copies an axis unless allowzero, −1 is inferred).
/// The target is an attribute before opset 5 and an input from 5 on; both are read.
struct ReshapeOperator: OperatorUnit {
    var role: OperatorRole { .endsSpatialLayout }

    /// The same values in the same order: each sample's block stays whole when the batch stays axis 0 (the
    /// target may differ from a pass alone, computed from the input's shape; `Graph.runsSamplesApart`
    /// checks that each sample's shape is that of a pass alone).
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.keepsBlocks }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let target = try inputs.optional(1).map { $0.storage.map(Int.init(saturating:)) } ?? node.ints("shape") ?? {
            throw EngineError.invalidParameter("Reshape has neither a shape input nor a shape attribute")
        }()
        return [try inputs.required(0).reshaped(onnx: target, allowZero: node.int("allowzero", default: 0) != 0)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let target: [Int]
        if inputs.has(1) {
            target = try inputs.requiredConstant(1, "target shape").storage.map(Int.init(saturating:))
        } else if let t = node.ints("shape") {
            target = t
        } else {
            throw EngineError.invalidParameter("Reshape has neither a shape input nor a shape attribute")
        }
        return [try Tensor.reshapedShape(try inputs.shape(0), onnx: target, allowZero: node.int("allowzero", default: 0) != 0)]
    }

    /// A reshape that keeps the last two axes (height and width) leaves every value at its place in the
    /// map, only regrouping the channels (ShuffleNet's channel shuffle splits the channel axis in two,
    /// and merges it back after a Transpose), so the field passes on; any other reshape ends it.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard let x = node.inputs.first, let y = node.outputs.first, LayoutRules.keepsMapAxes(context.layout(of: x), context.layout(of: y)) else {
            s.field = .notSpatial; return
        }
        // (The field stays on the channel shuffle's five-axis value too, so it reaches the Reshape back.)
        s.field = context.fields[x] ?? .notSpatial
    }

    /// The same values in the same order: the gradient passes unchanged.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws { context.add(0, context.gradient) }

    /// The target shape is not learned.
    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// Flatten: [d0, …, dn] → [d0·…·d(axis−1), d(axis)·…·dn].
struct FlattenOperator: OperatorUnit {
    var role: OperatorRole { .endsSpatialLayout }

    /// As Reshape: from axis 1 on, the rows are the samples.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.keepsBlocks }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [try inputs.required(0).flattened(axis: node.int("axis", default: 1))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0), axis = node.int("axis", default: 1)
        let a = axis < 0 ? axis + x.count : axis
        guard a >= 0, a <= x.count else { throw EngineError.invalidParameter("flatten axis \(axis) is outside a tensor of rank \(x.count)") }
        let rows = x[..<a].reduce(1, *)
        return [[rows, x[a...].reduce(1, *)]]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.field = .notSpatial }
}

/// Transpose: axes permuted by `perm` (reversed without it).
struct TransposeOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [try inputs.required(0).transposed(node.ints("perm"))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let perm = node.ints("perm") ?? Array((0..<x.count).reversed())
        guard perm.count == x.count, Set(perm) == Set(0..<x.count) else {
            throw EngineError.invalidParameter("transpose permutation \(perm) is not a permutation of the \(x.count) axes of \(x)")
        }
        return [perm.map { x[$0] }]
    }

    /// A permutation of the leading axes that keeps height and width last (the channel shuffle's swap of
    /// its two channel axes) keeps every value's place in the map, so the field passes on; one that moves
    /// the spatial axes (to channels-last, as ConvNeXt's blocks do) ends it.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard let x = node.inputs.first, let shape = context.layout(of: x), shape.count >= 3 else { s.field = .notSpatial; return }
        let perm = node.ints("perm") ?? Array((0..<shape.count).reversed())
        guard perm.count == shape.count, perm.suffix(2) == [shape.count - 2, shape.count - 1] else { s.field = .notSpatial; return }
        s.field = context.fields[x] ?? .notSpatial
    }

    /// The gradient, shaped as the output, permuted back by the inverse permutation.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let out = context.output.shape
        let perm = node.ints("perm") ?? Array((0..<out.count).reversed())
        guard perm.count == out.count else { throw EngineError.invalidParameter("transpose permutation \(perm) does not fit the output \(out)") }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        context.add(0, try Tensor(shape: out, storage: context.gradient).transposed(inverse).storage)
    }
}

/// Shape tests that the layout units share.
enum LayoutRules {
    /// Whether a value of shape `output` holds each value of `input` at the same map position: both have
    /// at least three axes and the same last two (height and width), so only the leading axes regroup.
    static func keepsMapAxes(_ input: [Int]?, _ output: [Int]?) -> Bool {
        guard let input, let output, input.count >= 3, output.count >= 3 else { return false }
        return input.suffix(2) == output.suffix(2)
    }
}

/// Dropout (inference: the input itself) and Identity.
struct IdentityOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.keepsBlocks }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] { [try inputs.required(0)] }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] { [try inputs.shape(0)] }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws { context.add(0, context.gradient) }
}

/// Constant: a tensor from the node's `value`, `value_float(s)` or `value_int(s)` attribute.
struct ConstantOperator: OperatorUnit {
    var role: OperatorRole { .constant }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        if let t = node.attributes["value"]?.tensorValue { return [t] }
        if let f = node.attributes["value_float"]?.floatValue { return [Tensor(shape: [], storage: [f])] }
        if let f = node.attributes["value_floats"]?.floatsValue { return [Tensor(shape: [f.count], storage: f)] }
        if let i = node.attributes["value_int"]?.intValue { return [Tensor(shape: [], storage: [Float(i)])] }
        if let i = node.attributes["value_ints"]?.intsValue { return [Tensor(shape: [i.count], storage: i.map(Float.init))] }
        throw EngineError.invalidParameter("Constant has no value, value_float(s) or value_int(s) attribute")
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        try forward(node, OperatorInputs(values: [], opset: inputs.opset)).map(\.shape)
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.field = .notSpatial }
}
