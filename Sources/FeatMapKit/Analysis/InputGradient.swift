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
    public func inputGradients(of units: [MapUnit], atNode target: Int, input: Tensor,
                               fields: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)]?) throws -> [Tensor] {
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
        for group in Self.disjointGroups(units.count, fields: fields) {
            var seed = [Float](repeating: 0, count: out.count)
            for k in group { seed[(units[k].channel * h + units[k].y) * w + units[k].x] = 1 }
            let g = try backward(from: target, seed: seed, values: values, preparation: preparation)
            let gradient = Tensor(shape: [c0, h0, w0], storage: g ?? [Float](repeating: 0, count: input.count))
            for k in group { results[k] = gradient }
        }
        return results.map { $0! }
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
