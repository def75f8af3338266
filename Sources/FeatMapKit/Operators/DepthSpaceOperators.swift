/// DepthToSpace and SpaceToDepth: blocks of b × b cells moved between the channels and the plane
/// of [N, C, H, W] maps, as onnx defines them, by a reshape to six axes, a transpose and a reshape back.
struct DepthSpaceOperator: OperatorUnit {
    /// DepthToSpace (channels into space) or SpaceToDepth.
    var toSpace: Bool
    var role: OperatorRole { .featureMap }

    /// The six-axis view, its permutation and the output shape for an input of `shape`.
    func layout(_ node: GraphNode, _ shape: [Int]) throws -> (view: [Int], perm: [Int], output: [Int]) {
        let b = node.int("blocksize", default: 0)
        guard b >= 1 else { throw EngineError.invalidParameter("\(toSpace ? "DepthToSpace" : "SpaceToDepth") needs a blocksize of at least 1") }
        guard shape.count == 4 else { throw EngineError.shapeMismatch("\(toSpace ? "DepthToSpace" : "SpaceToDepth") needs an [N, C, H, W] input, got \(shape)") }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        if toSpace {
            guard c % (b * b) == 0 else { throw EngineError.shapeMismatch("DepthToSpace with blocksize \(b) needs channels divisible by \(b * b), got \(c)") }
            let out = [n, c / (b * b), h * b, w * b]
            // DCR: depth, column, row — the channels hold [b, b, C/b²]; CRD (opset 11) holds [C/b², b, b].
            switch node.string("mode") ?? "DCR" {
            case "DCR": return ([n, b, b, c / (b * b), h, w], [0, 3, 4, 1, 5, 2], out)
            case "CRD": return ([n, c / (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3], out)
            case let m: throw EngineError.invalidParameter("DepthToSpace mode '\(m)' is not DCR or CRD")
            }
        }
        guard h % b == 0, w % b == 0 else { throw EngineError.shapeMismatch("SpaceToDepth with blocksize \(b) needs H and W divisible by \(b), got \(h)×\(w)") }
        // DCR (the default) puts the block offset before the channel, CRD (a mode attribute from opset 25) after it.
        switch node.string("mode") ?? "DCR" {
        case "DCR": return ([n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4], [n, c * b * b, h / b, w / b])
        case "CRD": return ([n, c, h / b, b, w / b, b], [0, 1, 3, 5, 2, 4], [n, c * b * b, h / b, w / b])
        case let m: throw EngineError.invalidParameter("SpaceToDepth mode '\(m)' is not DCR or CRD")
        }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        let l = try layout(node, x.shape)
        return [try x.reshaped(l.view).transposed(l.perm).reshaped(l.output)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] { [try layout(node, try inputs.shape(0)).output] }

    /// SpaceToDepth: output unit u reads input cells u·b … u·b + b − 1 across its channels, a b × b window
    /// with stride b (size + (b − 1)·S, jump S·b). DepthToSpace: output cells u·b … u·b + b − 1 all come
    /// from input unit u, so their fields do not step by one jump from cell to cell — they repeat b times
    /// and then step by S. No field u·S' − P describes that (S' = S/b would not be an integer either), so the
    /// layer is reported as not aligned.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let input = context.fields[node.inputs.first ?? ""] ?? .notSpatial
        guard s.outputShape.count == 3 else { s.field = .notSpatial; return }
        if toSpace {
            s.field = input == .notSpatial ? .notSpatial : .notAligned
        } else {
            let b = node.int("blocksize", default: 1)
            s.recordWindow(kernel: Pair(both: b), stride: Pair(both: b), dilation: .one, padding: .none, inputField: input)
        }
    }

    /// A permutation of the cells: its gradient is the gradient permuted back.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        let l = try layout(node, x.shape)
        var inverse = [Int](repeating: 0, count: l.perm.count)
        for (i, p) in l.perm.enumerated() { inverse[p] = i }
        let g = try Tensor(shape: l.perm.map { l.view[$0] }, storage: context.gradient).transposed(inverse)
        context.add(0, g.storage)
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}
