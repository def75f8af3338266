import Foundation

/// Backward passes with respect to the input only, for effective receptive fields (Luo, Li, Urtasun
/// and Zemel, "Understanding the Effective Receptive Field in Deep Convolutional Neural Networks",
/// NIPS 2016): the gradient of one unit with respect to every input pixel says how much each pixel
/// moves it. Weights are constants here; only activations carry gradients.
extension Graph {
    /// ∂ output(node)[unit] / ∂ input, shaped like `input` ([C, H, W]).
    public func inputGradient(of unit: MapUnit, atNode target: Int, input: Tensor) throws -> Tensor {
        try inputGradients(of: [unit], atNode: target, input: input, fields: nil)[0]
    }

    /// ∂ output(node)[unit] / ∂ input for several units of one layer, from one forward pass.
    ///
    /// With `fields` (each unit's theoretical receptive field in input rows and columns), units whose
    /// fields do not overlap share one backward pass: the gradient of a sum is the sum of the gradients,
    /// and each unit's gradient is zero outside its field, so inside its field the shared gradient is its
    /// own. Each result is then exact inside the unit's field only (zero or other units' outside it),
    /// which is all an effective receptive field reads. Without `fields`, one backward pass per unit.
    ///
    /// With the target layer's `jump` as well, and every layer up to the target local (`isLocal`), each
    /// unit is computed on a crop of the input that holds its field, its top-left a multiple of the jump
    /// so that every layer's windows fall where they fall on the whole input: the unit, and its gradient,
    /// are the same, for the cost of the field's area instead of the image's.
    public func inputGradients(of units: [MapUnit], atNode target: Int, input: Tensor,
                               fields: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)]?, jump: Pair? = nil) throws -> [Tensor] {
        guard nodes.indices.contains(target) else {
            throw ModelError.badInput("node \(target) is outside the graph's \(nodes.count) nodes")
        }
        guard let (c0, h0, w0) = input.planeShape else {
            throw ModelError.badInput("the input must be [C, H, W], got \(input.shape)")
        }
        var values: [String: Tensor] = [:]
        let x0 = inputShape.count == 4 ? input.reshaped([1, c0, h0, w0]) : input.reshaped([c0, h0, w0])
        values[inputName] = x0
        // The constants folded at preparation (a Slice's starts and ends from a shape subgraph, as the
        // legacy exporter writes ShuffleNet's chunk) are inputs too, but carry no gradient.
        let preparation = try prepared(inputShape: x0.shape)
        let pass = forward(input, last: target, prepared: preparation) { layer in
            for (name, value) in zip(nodes[layer.index].outputs, layer.outputs) where !name.isEmpty { values[name] = value }
        }
        if let stop = pass.stoppedBy { throw stop }
        guard let targetName = nodes[target].outputs.first, let out = values[targetName], let (c, h, w) = out.planeShape else {
            throw ModelError.badInput("layer '\(layerNames[target])' does not output feature maps; pick a convolution, activation or pooling layer")
        }
        for unit in units {
            guard (0..<c).contains(unit.channel), (0..<h).contains(unit.y), (0..<w).contains(unit.x) else {
                throw ModelError.badInput("unit \(unit) is outside layer '\(layerNames[target])' of \(c)×\(h)×\(w); use a channel below \(c), y below \(h), x below \(w)")
            }
        }
        var results = [Tensor?](repeating: nil, count: units.count)
        // Local layers with a known jump: each unit from a crop of the input that holds its field.
        if let fields, fields.count == units.count, let jump, jump.y > 0, jump.x > 0, isLocal(through: target) {
            for (k, unit) in units.enumerated() {
                results[k] = try? croppedGradient(of: unit, atNode: target, input: input, field: fields[k], jump: jump)
            }
        }
        let missing = units.indices.filter { results[$0] == nil }
        let groups = Self.disjointGroups(missing.count, fields: fields.map { f in missing.map { f[$0] } }).map { $0.map { missing[$0] } }
        for group in groups {
            var seed = [Float](repeating: 0, count: out.count)
            for k in group { seed[(units[k].channel * h + units[k].y) * w + units[k].x] = 1 }
            let g = try backward(from: target, seed: seed, values: values, preparation: preparation)
            let gradient = Tensor(shape: [c0, h0, w0], storage: g ?? [Float](repeating: 0, count: input.count))
            for k in group { results[k] = gradient }
        }
        return results.map { $0! }
    }

    /// Operators whose output at a position reads only the inputs inside that position's receptive field
    /// (pointwise, channel-wise and windowed ones), so that a unit computed on a crop holding its field
    /// equals the unit computed on the whole input. Windows must have explicit pads: auto_pad SAME
    /// sets them from the input's size, which a crop changes.
    static let localOperators: Set<String> = [
        "Conv", "MaxPool", "AveragePool", "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Clip", "Sigmoid", "Tanh",
        "HardSigmoid", "HardSwish", "BatchNormalization", "Dropout", "Identity", "LRN", "Add", "Sub", "Mul", "Concat",
    ]

    /// Whether every node up to `target` is local (see `localOperators`; Concat only along channels).
    func isLocal(through target: Int) -> Bool {
        nodes[0...target].allSatisfy { node in
            guard Self.localOperators.contains(node.op) else { return false }
            if let pad = node.string("auto_pad"), pad != "NOTSET", pad != "VALID" { return false }
            if node.op == "Concat" { return [1, -3].contains(node.int("axis", default: 1)) }
            return true
        }
    }

    /// The gradient of `unit` from the crop of `input` that holds its field (rows and columns clipped to
    /// the image, the top-left moved back to a multiple of the jump), placed in a zero tensor of the
    /// input's shape. Throws when the crop does not prepare or run (then the whole input is used).
    func croppedGradient(of unit: MapUnit, atNode target: Int, input: Tensor,
                         field: (rows: ClosedRange<Int>, columns: ClosedRange<Int>), jump: Pair) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else { throw ModelError.badInput("the input must be [C, H, W]") }
        let y0 = max(0, field.rows.lowerBound) / jump.y * jump.y, y1 = min(h, field.rows.upperBound + 1)
        let x0 = max(0, field.columns.lowerBound) / jump.x * jump.x, x1 = min(w, field.columns.upperBound + 1)
        guard y0 < y1, x0 < x1 else { throw ModelError.badInput("the field lies outside the input") }
        let ch = y1 - y0, cw = x1 - x0
        var crop = [Float](repeating: 0, count: c * ch * cw)
        for p in 0..<c { for y in 0..<ch { for x in 0..<cw { crop[(p * ch + y) * cw + x] = input.storage[(p * h + y0 + y) * w + x0 + x] } } }
        let moved = MapUnit(channel: unit.channel, y: unit.y - y0 / jump.y, x: unit.x - x0 / jump.x)
        let g = try inputGradients(of: [moved], atNode: target, input: Tensor(shape: [c, ch, cw], storage: crop), fields: nil)[0]
        var full = [Float](repeating: 0, count: input.count)
        for p in 0..<c { for y in 0..<ch { for x in 0..<cw { full[(p * h + y0 + y) * w + x0 + x] = g.storage[(p * ch + y) * cw + x] } } }
        return Tensor(shape: [c, h, w], storage: full)
    }

    /// Unit indices in groups whose fields pairwise do not overlap (greedy, in order); each unit alone
    /// without fields.
    static func disjointGroups(_ count: Int, fields: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)]?) -> [[Int]] {
        guard let fields, fields.count == count else { return (0..<count).map { [$0] } }
        var groups: [[Int]] = []
        for k in 0..<count {
            let f = fields[k]
            if let g = groups.indices.first(where: { groups[$0].allSatisfy { j in
                !fields[j].rows.overlaps(f.rows) || !fields[j].columns.overlaps(f.columns) } }) {
                groups[g].append(k)
            } else {
                groups.append([k])
            }
        }
        return groups
    }

    /// One backward pass from `seed` (the gradient of the target's first output) to the input.
    func backward(from target: Int, seed: [Float], values: [String: Tensor], preparation: PreparedGraph) throws -> [Float]? {
        guard let targetName = nodes[target].outputs.first else { return nil }
        var grads: [String: [Float]] = [targetName: seed]
        for i in stride(from: target, through: 0, by: -1) {
            let node = nodes[i]
            // A gradient may arrive at any output (each of a Split's parts feeds its own branch).
            let arriving = node.outputs.map { $0.isEmpty ? nil : grads.removeValue(forKey: $0) }
            guard arriving.contains(where: { $0 != nil }), let name = node.outputs.first, let y = values[name] else { continue }
            let g = arriving[0] ?? [Float](repeating: 0, count: y.count)
            let label = layerNames[i]
            guard let op = operatorUnit(of: node) else { throw ModelError.unsupportedOperator(node: label, op: node.op) }
            var step = BackwardContext(label: label, inputs: node.inputs.map { values[$0] ?? preparation.constants[$0] ?? weights[$0] },
                                       carriesGradient: node.inputs.map { values[$0] != nil }, output: y, gradient: g)
            step.outputGradients = arriving
            do {
                try op.backward(node, &step)
            } catch let e as EngineError {
                throw ModelError.layerFailed(node: label, op: node.op, reason: e.description)
            }
            for (k, d) in step.inputGradients {
                let key = node.inputs[k]
                if var acc = grads[key] {
                    for j in acc.indices { acc[j] += d[j] }
                    grads[key] = acc
                } else {
                    grads[key] = d
                }
            }
        }
        return grads[inputName]
    }
}

extension Pooling {
    /// The image cells of output (oy, ox)'s window, row-major, and the count the average divides by.
    func window(_ oy: Int, _ ox: Int, height h: Int, width w: Int) -> (cells: [Int], divisor: Int) {
        var cells: [Int] = []
        var padded = (0, 0)
        for ty in 0..<kernel.y {
            let y = oy * stride.y - padding.top + ty * dilation.y
            if y < h + padding.bottom { padded.0 += 1 }
            guard y >= 0, y < h else { continue }
            for tx in 0..<kernel.x {
                let x = ox * stride.x - padding.left + tx * dilation.x
                guard x >= 0, x < w else { continue }
                cells.append(y * w + x)
            }
        }
        for tx in 0..<kernel.x where ox * stride.x - padding.left + tx * dilation.x < w + padding.right { padded.1 += 1 }
        return (cells, countIncludePad ? padded.0 * padded.1 : cells.count)
    }

    /// Per output cell of one plane, the input cell that wins its max window (first maximum in row-major
    /// order; a NaN only as the window's first in-image cell, the rule `applied(to:)` follows), or nil
    /// for a window with no image cell — and, with
    /// `skippingTies`, for a window whose cells are all equal, where no cell stands out.
    public func winners(plane: ArraySlice<Float>, height h: Int, width w: Int, skippingTies: Bool = false) throws -> [Int?] {
        let out = try outputSize(height: h, width: w)
        let base = plane.startIndex
        var result: [Int?] = []
        result.reserveCapacity(out.y * out.x)
        for oy in 0..<out.y { for ox in 0..<out.x {
            var best: Int? = nil
            let cells = window(oy, ox, height: h, width: w).cells
            for cell in cells {
                let v = plane[base + cell]
                if let b = best { if v > plane[base + b] { best = cell } } else { best = cell }
            }
            if skippingTies, let b = best, cells.count > 1, cells.allSatisfy({ plane[base + $0] == plane[base + b] }) { best = nil }
            result.append(best)
        } }
        return result
    }

    /// ∂(pooled · g)/∂ input for a [C, H, W] input and output gradient g of the pooled shape.
    public func inputGradient(_ g: [Float], input: Tensor) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else { throw EngineError.shapeMismatch("pooling input must be [C, H, W], got \(input.shape)") }
        let out = try outputSize(height: h, width: w)
        let n = out.y * out.x
        guard g.count == c * n else { throw EngineError.shapeMismatch("a gradient of \(g.count) values for a \(c)×\(out.y)×\(out.x) output") }
        var d = [Float](repeating: 0, count: input.count)
        for ch in 0..<c {
            let base = ch * h * w
            if kind == .max {
                let wins = try winners(plane: input.storage[base..<(base + h * w)], height: h, width: w)
                for (o, cell) in wins.enumerated() { if let cell { d[base + cell] += g[ch * n + o] } }
            } else {
                for oy in 0..<out.y { for ox in 0..<out.x {
                    let (cells, divisor) = window(oy, ox, height: h, width: w)
                    guard divisor > 0 else { continue }
                    let share = g[ch * n + oy * out.x + ox] / Float(divisor)
                    for cell in cells { d[base + cell] += share }
                } }
            }
        }
        return Tensor(shape: [c, h, w], storage: d)
    }
}
