/// Gemm: α·A'·B' + β·C, A' and B' optionally transposed (fully connected layers).
struct GemmOperator: OperatorUnit {
    var role: OperatorRole { .endsSpatialLayout }
    func shortName(of op: String) -> String { "fc" }

    /// The batch as A's rows, B and C constants, C with one row (or broadcast from fewer axes): up to
    /// `Gemm.rowByRowLimit` rows, each row is its own one-row product (`Gemm.applied`), as alone.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool {
        guard view.onlyFirstCarries, node.int("transA", default: 0) == 0, view.shapes[0]?.count == 2,
              view.batch <= Gemm.rowByRowLimit else { return false }
        guard view.shapes.count > 2, let c = view.shapes[2] else { return true }
        return c.count < 2 || c[0] == 1
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let gemm = Gemm(alpha: node.float("alpha", default: 1), beta: node.float("beta", default: 1),
                        transposeA: node.int("transA", default: 0) != 0, transposeB: node.int("transB", default: 0) != 0)
        return [try gemm.applied(try inputs.required(0), try inputs.required(1), inputs.optional(2))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let a = try inputs.shape(0), b = try inputs.shape(1)
        guard a.count == 2, b.count == 2 else {
            throw EngineError.shapeMismatch("Gemm multiplies two matrices; got shapes \(a) and \(b) (insert a Flatten before it)")
        }
        let ta = node.int("transA", default: 0) != 0, tb = node.int("transB", default: 0) != 0
        let (m, k) = ta ? (a[1], a[0]) : (a[0], a[1]), (kb, n) = tb ? (b[1], b[0]) : (b[0], b[1])
        guard k == kb else { throw EngineError.shapeMismatch("Gemm cannot multiply \(m)×\(k) by \(kb)×\(n): the inner sizes differ") }
        return [[m, n]]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.field = .notSpatial
        // K is A's inner dimension: its last axis, or with transA the one before.
        if let a = context.shape(of: node.inputs.first ?? ""), !a.isEmpty {
            let k = node.int("transA", default: 0) != 0 ? a[a.count >= 2 ? a.count - 2 : 0] : a[a.count - 1]
            s.multiplyAccumulates = s.outputShape.reduce(1, *) * k
        }
    }
}

/// MatMul: NumPy's matrix product, batch axes broadcast.
struct MatMulOperator: OperatorUnit {
    var role: OperatorRole { .endsSpatialLayout }
    func shortName(of op: String) -> String { "fc" }

    /// [batch, K] × a constant [K, N]: one Gemm whose rows are the samples (see Gemm's).
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool {
        view.onlyFirstCarries && view.shapes[0]?.count == 2 && view.shapes.count == 2 && view.shapes[1]?.count == 2
            && view.batch <= Gemm.rowByRowLimit
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [try Gemm.matrixProduct(try inputs.required(0), try inputs.required(1))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        [try Gemm.productShape(try inputs.shape(0), try inputs.shape(1))]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.field = .notSpatial
        if let a = context.shape(of: node.inputs.first ?? ""), !a.isEmpty {
            s.multiplyAccumulates = s.outputShape.reduce(1, *) * a[a.count - 1]
        }
    }
}

/// Softmax and LogSoftmax. Before opset 13 they flatten the axes from `axis` (default 1) on; from 13
/// they run along one axis (default −1).
struct SoftmaxOperator: OperatorUnit {
    var flattensTrailingAxes: Bool
    var logarithmic = false
    var role: OperatorRole { .other }

    /// Along (or, before opset 13, from) an axis after the batch's: each group lies within one sample.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool {
        guard view.onlyFirstCarries, let rank = view.shapes[0]?.count else { return false }
        let axis = node.int("axis", default: flattensTrailingAxes ? 1 : -1)
        return (axis < 0 ? axis + rank : axis) > 0
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let softmax = Softmax(axis: node.int("axis", default: flattensTrailingAxes ? 1 : -1), flattensTrailingAxes: flattensTrailingAxes,
                              logarithmic: logarithmic)
        return [try softmax.applied(to: try inputs.required(0))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] { [try inputs.shape(0)] }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.field = .notSpatial }
}
