/// Add, Sub, Mul and Div with NumPy-style broadcasting: residual sums (ResNet) and scalings.
struct ArithmeticOperator: OperatorUnit {
    var kind: Elementwise
    /// Opsets 1–6: B broadcasts to A only when `broadcast` = 1, its axes matching A's from `axis` on
    /// (default: A's last axes); it is then given A's rank with ones around it, so that NumPy's rule applies.
    var legacyBroadcast = false
    var role: OperatorRole { .featureMap }

    /// Elementwise, with constants broadcast within each sample; the legacy broadcast's `axis` may reach axis 0.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { !legacyBroadcast && view.broadcastsApart }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let a = try inputs.required(0), b = try inputs.required(1)
        return [try kind.applied(a, b.reshaped(try secondShape(node, a.shape, b.shape)))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let a = try inputs.shape(0)
        return [try ShapeRules.broadcast([a, try secondShape(node, a, try inputs.shape(1))])]
    }

    /// B's shape as the broadcast sees it.
    func secondShape(_ node: GraphNode, _ a: [Int], _ b: [Int]) throws -> [Int] {
        legacyBroadcast ? try Self.legacySecondShape(node, a, b) : b
    }

    /// The opset-1–6 rule, shared with Pow.
    static func legacySecondShape(_ node: GraphNode, _ a: [Int], _ b: [Int]) throws -> [Int] {
        guard node.int("broadcast", default: 0) != 0, b.count < a.count else { return b }
        let axis = node.int("axis", default: a.count - b.count)
        let start = axis < 0 ? axis + a.count : axis
        guard start >= 0, start + b.count <= a.count else {
            throw EngineError.shapeMismatch("a broadcast of \(b) at axis \(axis) does not fit in \(a)")
        }
        return [Int](repeating: 1, count: start) + b + [Int](repeating: 1, count: a.count - start - b.count)
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordJoin(of: node.inputs, context)
    }

    /// Each operand's gradient is the output's times ∂y/∂operand (1, −1, the other factor, 1/b or −y/b),
    /// summed over the axes it was broadcast along (a squeeze-and-excitation scale, a per-channel bias).
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let y = context.output, g = context.gradient
        let a = try context.input(0), b = try context.input(1)
        let bShape = try secondShape(node, a.shape, b.shape)
        func spread(_ t: Tensor) throws -> [Float] { try t.broadcast(to: y.shape).storage }
        for k in 0..<2 where context.carries(k) {
            let local: [Float]
            switch (kind, k) {
            case (.add, _), (.subtract, 0): local = g
            case (.subtract, _): local = g.map { -$0 }
            case (.multiply, 0): local = zip(g, try spread(b.reshaped(bShape))).map { $0 * $1 }
            case (.multiply, _): local = zip(g, try spread(a)).map { $0 * $1 }
            case (.divide, 0): local = zip(g, try spread(b.reshaped(bShape))).map { $0 / $1 }
            case (.divide, _): local = zip(zip(g, y.storage), try spread(b.reshaped(bShape))).map { -$0.0 * $0.1 / $1 }
            }
            context.add(k, Elementwise.unbroadcast(local, from: y.shape, to: k == 0 ? a.shape : bShape))
        }
    }
}

/// Concat: tensors joined along one axis (SqueezeNet's Fire outputs, Inception's four paths).
struct ConcatOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }

    /// Joined along an axis other than the batch's, every part from the data path.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool {
        guard let rank = view.outputs.first?.count, rank > 0 else { return false }
        let axis = node.int("axis", default: 1)
        return (axis < 0 ? axis + rank : axis) > 0 && view.shapes.indices.allSatisfy(view.isBatched) && view.outputsBatched
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [try Tensor.concatenated(try inputs.all(), axis: node.int("axis", default: 1))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let shapes = try (0..<inputs.count).map(inputs.shape)
        guard let first = shapes.first else { throw EngineError.invalidParameter("nothing to concatenate") }
        let axis = node.int("axis", default: 1), rank = first.count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw EngineError.invalidParameter("concatenation axis \(axis) is outside a tensor of rank \(rank)") }
        for p in shapes where p.count != rank || p[..<a] != first[..<a] || p[(a + 1)...] != first[(a + 1)...] {
            throw EngineError.shapeMismatch("cannot concatenate shapes \(first) and \(p) along axis \(a); the other axes must match")
        }
        var out = first
        out[a] = shapes.reduce(0) { $0 + $1[a] }
        return [out]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordJoin(of: node.inputs, context)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let y = context.output, g = context.gradient
        let axis = node.int("axis", default: 1)
        let a = axis < 0 ? axis + y.rank : axis
        let outer = y.shape[..<a].reduce(1, *), inner = y.shape[(a + 1)...].reduce(1, *)
        var offset = 0
        for k in node.inputs.indices {
            let part = try context.input(k)
            let chunk = part.shape[a] * inner
            var d = [Float](repeating: 0, count: part.count)
            for o in 0..<outer {
                let from = o * y.shape[a] * inner + offset
                for j in 0..<chunk { d[o * chunk + j] = g[from + j] }
            }
            context.add(k, d)
            offset += chunk
        }
    }
}
