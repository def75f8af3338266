/// Pad: cells added before and after each axis (negative amounts crop), filled by `mode`: constant
/// (a value), reflect (mirror without repeating the edge: `BorderMode.reflect101`), edge
/// (`BorderMode.replicate`) or wrap (from opset 19, `BorderMode.wrap`). Opset 2…10 read `pads` and `value`
/// attributes; from 11 `pads` and the optional `constant_value` are inputs, and from 18 an optional
/// `axes` input says which axes the pads are for. The border rule is `BorderMode.sourceIndex`, the
/// one the filters and `Tensor.padded(by:border:)` use; padding H and W of [N, C, H, W] maps runs
/// in `Tensor.padded`.
struct PadOperator: OperatorUnit {
    /// Opset 11's pads, constant_value and axes inputs.
    var padsAsInputs: Bool
    var role: OperatorRole { .featureMap }

    struct Plan {
        var begins: [Int], ends: [Int]
        var border: BorderMode
        var fill: Float

        func sources(_ shape: [Int]) -> [[Int?]] {
            shape.indices.map { a in
                (0..<(shape[a] + begins[a] + ends[a])).map { o in border.sourceIndex(o - begins[a], count: shape[a]) }
            }
        }
    }

    func plan(_ node: GraphNode, shape: [Int], opset: Int, value: (Int) throws -> Tensor?) throws -> Plan {
        let rank = shape.count
        let mode = node.string("mode") ?? "constant"
        let border: BorderMode
        switch mode {
        case "constant": border = .zero
        case "reflect": border = .reflect101
        case "edge": border = .replicate
        case "wrap" where opset >= 19: border = .wrap
        default: throw EngineError.invalidParameter("Pad mode '\(mode)' is not one of constant, reflect, edge\(opset >= 19 ? ", wrap" : " (wrap needs opset 19)")")
        }
        var pads: [Int], fill: Float, axes = Array(0..<rank)
        if padsAsInputs {
            guard let p = try value(1) else { throw EngineError.invalidParameter("Pad needs its pads input") }
            pads = ShapeRules.integers(p)
            fill = try value(2).map { t -> Float in
                guard t.count <= 1 else { throw EngineError.invalidParameter("Pad's constant_value must be a scalar, got shape \(t.shape)") }
                return t.storage.first ?? 0
            } ?? 0
            if let a = try value(3) { axes = try ShapeRules.axes(ShapeRules.integers(a), rank: rank) }
        } else {
            guard let p = node.ints("pads") else { throw EngineError.invalidParameter("Pad needs a pads attribute before opset 11") }
            pads = p
            fill = node.float("value", default: 0)
        }
        guard pads.count == 2 * axes.count else {
            throw EngineError.invalidParameter("Pad has \(pads.count) pads for \(axes.count) axes; it needs a begin and an end for each")
        }
        var begins = [Int](repeating: 0, count: rank), ends = begins
        for (k, a) in axes.enumerated() {
            begins[a] = pads[k]; ends[a] = pads[k + axes.count]
            // A padding far beyond any image would only exhaust memory.
            guard begins[a].magnitude <= 1 << 20, ends[a].magnitude <= 1 << 20, shape[a] + begins[a] + ends[a] >= 0 else {
                throw EngineError.invalidParameter("Pad's pads \(pads) do not fit axis \(a) of size \(shape[a])")
            }
            if border != .zero && shape[a] == 0 && begins[a] + ends[a] > 0 {
                throw EngineError.invalidParameter("Pad mode '\(mode)' cannot pad the empty axis \(a)")
            }
        }
        return Plan(begins: begins, ends: ends, border: border, fill: fill)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        let p = try plan(node, shape: x.shape, opset: inputs.opset) { inputs.optional($0) }
        let r = x.rank
        if r >= 3, r <= 4, p.begins.dropLast(2).allSatisfy({ $0 == 0 }), p.ends.dropLast(2).allSatisfy({ $0 == 0 }),
           (p.begins + p.ends).allSatisfy({ $0 >= 0 }), p.border != .zero || p.fill == 0 {
            let pad = Padding(top: p.begins[r - 2], bottom: p.ends[r - 2], left: p.begins[r - 1], right: p.ends[r - 1])
            // perImage hands a batch of one over whole and expects [C, H, W] back.
            return [try perImage(x) { image in
                let y = image.padded(by: pad, border: p.border)
                return y.rank == 4 ? y.reshaped(Array(y.shape.dropFirst())) : y
            }]
        }
        return [x.indexed(by: p.sources(x.shape), fill: p.fill)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let names = ["", "pads", "constant_value", "axes"]
        let p = try plan(node, shape: x, opset: inputs.opset) { i in inputs.has(i) ? try inputs.requiredConstant(i, names[i]) : nil }
        return [x.indices.map { x[$0] + p.begins[$0] + p.ends[$0] }]
    }

    /// Output unit u is input unit u − b on an axis padded by b before: it sees from (u − b)·S − P,
    /// so the padding grows by b·S (Araujo et al.'s P_l = P_{l−1} + p_l·S_{l−1} with a 1×1 window).
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let input = context.fields[node.inputs.first ?? ""] ?? .notSpatial
        guard s.outputShape.count == 3, let shape = context.layout(of: node.inputs[0]), shape.count >= 2 else { s.field = .notSpatial; return }
        let p = try plan(node, shape: shape, opset: context.graph.opset) { i in i < node.inputs.count ? context.constant(node.inputs[i]) : nil }
        let h = shape.count - 2, w = shape.count - 1
        s.padding = Padding(top: p.begins[h], bottom: p.ends[h], left: p.begins[w], right: p.ends[w])
        guard case .spatial(let f) = input else { s.field = input; return }
        s.field = .spatial(ReceptiveField(size: f.size, jump: f.jump,
                                          padding: Pair(f.padding.y + p.begins[h] * f.jump.y, f.padding.x + p.begins[w] * f.jump.x)))
    }

    /// Each output cell's gradient goes to the input cell it copies (none for a constant border): a crop
    /// of the gradient for constant padding, sums at the edges for edge, reflect and wrap.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        // The opset does not reach here; a wrap node got through the forward pass, so it is allowed.
        let p = try plan(node, shape: x.shape, opset: Int.max) { i in i < context.inputs.count ? context.inputs[i] : nil }
        context.add(0, Tensor.scatteredBack(context.gradient, into: x.shape, by: p.sources(x.shape)))
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}
