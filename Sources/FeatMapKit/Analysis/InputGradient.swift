import Foundation

/// Backward passes with respect to the input only, for effective receptive fields (Luo, Li, Urtasun
/// and Zemel, "Understanding the Effective Receptive Field in Deep Convolutional Neural Networks",
/// NIPS 2016): the gradient of one unit with respect to every input pixel says how much each pixel
/// moves it. Weights are constants here; only activations carry gradients.
extension Graph {
    /// ∂ output(node)[unit] / ∂ input, shaped like `input` ([C, H, W]).
    public func inputGradient(of unit: MapUnit, atNode target: Int, input: Tensor) throws -> Tensor {
        guard nodes.indices.contains(target) else {
            throw ModelError.badInput("node \(target) is outside the graph's \(nodes.count) nodes")
        }
        guard let (c0, h0, w0) = input.planeShape else {
            throw ModelError.badInput("the input must be [C, H, W], got \(input.shape)")
        }
        var values: [String: Tensor] = [:]
        let x0 = inputShape.count == 4 ? input.reshaped([1, c0, h0, w0]) : input.reshaped([c0, h0, w0])
        values[inputName] = x0
        let pass = forward(input, last: target) { layer in
            if let name = nodes[layer.index].outputs.first { values[name] = layer.output }
        }
        if let stop = pass.stoppedBy { throw stop }
        guard let targetName = nodes[target].outputs.first, let out = values[targetName], let (c, h, w) = out.planeShape else {
            throw ModelError.badInput("layer '\(layerNames[target])' does not output feature maps; pick a convolution, activation or pooling layer")
        }
        guard (0..<c).contains(unit.channel), (0..<h).contains(unit.y), (0..<w).contains(unit.x) else {
            throw ModelError.badInput("unit \(unit) is outside layer '\(layerNames[target])' of \(c)×\(h)×\(w); use a channel below \(c), y below \(h), x below \(w)")
        }
        var seed = [Float](repeating: 0, count: out.count)
        seed[(unit.channel * h + unit.y) * w + unit.x] = 1
        var grads: [String: [Float]] = [targetName: seed]
        for i in stride(from: target, through: 0, by: -1) {
            let node = nodes[i]
            guard let name = node.outputs.first, let g = grads.removeValue(forKey: name), let y = values[name] else { continue }
            let label = layerNames[i]
            func value(_ k: Int) throws -> Tensor {
                guard k < node.inputs.count, let v = values[node.inputs[k]] ?? weights[node.inputs[k]] else {
                    throw ModelError.layerFailed(node: label, op: node.op, reason: "input \(k + 1) is missing")
                }
                return v
            }
            func carries(_ k: Int) -> Bool { k < node.inputs.count && values[node.inputs[k]] != nil }
            func add(_ k: Int, _ d: [Float]) {
                guard carries(k) else { return }
                let key = node.inputs[k]
                if var acc = grads[key] {
                    for j in acc.indices { acc[j] += d[j] }
                    grads[key] = acc
                } else {
                    grads[key] = d
                }
            }
            do {
                switch node.op {
                case "Conv": add(0, try convolutionBackward(node, x: try value(0), w: try value(1), g: g))
                case "Relu":
                    let x = try value(0).storage
                    add(0, zip(g, x).map { $1 > 0 ? $0 : 0 })
                case "LeakyRelu":
                    let a = node.float("alpha", default: 0.01), x = try value(0).storage
                    add(0, zip(g, x).map { $1 < 0 ? $0 * a : $0 })
                case "Sigmoid": add(0, zip(g, y.storage).map { $0 * $1 * (1 - $1) })
                case "Tanh": add(0, zip(g, y.storage).map { $0 * (1 - $1 * $1) })
                case "Clip":
                    // The bounds do not matter: a clipped value equals its bound, an unclipped one its input.
                    let x = try value(0).storage
                    add(0, (0..<g.count).map { x[$0] == y.storage[$0] ? g[$0] : 0 })
                case "MaxPool", "AveragePool": add(0, try poolingBackward(node, x: try value(0), g: g))
                case "GlobalAveragePool", "GlobalMaxPool":
                    let x = try value(0)
                    guard let (cc, hh, ww) = x.planeShape else { throw EngineError.shapeMismatch("global pooling of \(x.shape)") }
                    let n = hh * ww
                    var d = [Float](repeating: 0, count: x.count)
                    for ch in 0..<cc {
                        if node.op == "GlobalAveragePool" {
                            for j in 0..<n { d[ch * n + j] = g[ch] / Float(n) }
                        } else {
                            let plane = x.storage[(ch * n)..<((ch + 1) * n)]
                            if let best = plane.indices.max(by: { plane[$0] < plane[$1] || (plane[$0] == plane[$1] && $0 > $1) }) {
                                d[best] = g[ch]
                            }
                        }
                    }
                    add(0, d)
                case "BatchNormalization":
                    let scale = try value(1).storage, variance = try value(4).storage
                    let eps = node.float("epsilon", default: 1e-5)
                    let n = g.count / max(1, scale.count)
                    add(0, (0..<g.count).map { j in g[j] * scale[j / n] / (variance[j / n] + eps).squareRoot() })
                case "Add", "Sub":
                    for k in 0..<min(2, node.inputs.count) where carries(k) {
                        guard try value(k).shape == y.shape else {
                            throw EngineError.shapeMismatch("\(node.op) broadcasts an activation of shape \(try value(k).shape) to \(y.shape)")
                        }
                        add(k, node.op == "Sub" && k == 1 ? g.map { -$0 } : g)
                    }
                case "Mul", "Div":
                    // Products with a constant (a scale) only: y = a·b with b constant gives ∂y/∂a = b.
                    guard carries(0), !carries(1), try value(0).shape == y.shape else {
                        throw EngineError.shapeMismatch("\(node.op) of two activations is not supported for gradients")
                    }
                    let factor = try Elementwise.multiply.applied(Tensor(shape: y.shape, repeating: 1), try value(1)).storage
                    add(0, (0..<g.count).map { node.op == "Mul" ? g[$0] * factor[$0] : g[$0] / factor[$0] })
                case "Concat":
                    let axis = node.int("axis", default: 1)
                    let a = axis < 0 ? axis + y.rank : axis
                    let outer = y.shape[..<a].reduce(1, *), inner = y.shape[(a + 1)...].reduce(1, *)
                    var offset = 0
                    for k in node.inputs.indices {
                        let part = try value(k)
                        let chunk = part.shape[a] * inner
                        var d = [Float](repeating: 0, count: part.count)
                        for o in 0..<outer {
                            let from = o * y.shape[a] * inner + offset
                            for j in 0..<chunk { d[o * chunk + j] = g[from + j] }
                        }
                        add(k, d)
                        offset += chunk
                    }
                case "Dropout", "Identity": add(0, g)
                default:
                    throw EngineError.invalidParameter("the effective receptive field cannot be traced back through \(node.op); pick a layer before it")
                }
            } catch let e as EngineError {
                throw ModelError.layerFailed(node: label, op: node.op, reason: e.description)
            }
        }
        let g = grads[inputName] ?? [Float](repeating: 0, count: input.count)
        return Tensor(shape: [c0, h0, w0], storage: g)
    }

    /// The gradient of a convolution with respect to its input is a transposed correlation: the output
    /// gradient spread out by the stride (s − 1 zeros between values), placed d(k − 1) − p cells in, and
    /// correlated with the kernels rotated by 180° and with input and output channels swapped within each
    /// group — run on the same convolution core as the forward pass.
    func convolutionBackward(_ node: GraphNode, x: Tensor, w: Tensor, g: [Float]) throws -> [Float] {
        guard let (c, h, wd) = x.planeShape, w.rank == 4 else { throw EngineError.shapeMismatch("convolution input \(x.shape)") }
        let (o, cinG, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let groups = node.int("group", default: 1)
        let coutG = o / max(1, groups)
        let stride = pair(node.ints("strides"), default: 1), dilation = pair(node.ints("dilations"), default: 1)
        let p = try padding(node, kernel: Pair(kh, kw), stride: stride, dilation: dilation, input: x)
        let out = try Convolution.outputSize(input: Pair(h, wd), kernel: Pair(kh, kw), stride: stride, dilation: dilation, padding: p)
        let uh = h + dilation.y * (kh - 1), uw = wd + dilation.x * (kw - 1)
        let leadY = dilation.y * (kh - 1) - p.top, leadX = dilation.x * (kw - 1) - p.left
        var spread = [Float](repeating: 0, count: o * uh * uw)
        for oc in 0..<o { for oy in 0..<out.y {
            let uy = leadY + oy * stride.y
            guard uy >= 0, uy < uh else { continue }
            for ox in 0..<out.x {
                let ux = leadX + ox * stride.x
                guard ux >= 0, ux < uw else { continue }
                spread[(oc * uh + uy) * uw + ux] = g[(oc * out.y + oy) * out.x + ox]
            }
        } }
        var turned = [Float](repeating: 0, count: c * coutG * kh * kw)
        for gi in 0..<groups { for ci in 0..<cinG { for oi in 0..<coutG {
            let src = ((gi * coutG + oi) * cinG + ci) * kh * kw
            let dst = ((gi * cinG + ci) * coutG + oi) * kh * kw
            for k in 0..<(kh * kw) { turned[dst + k] = w.storage[src + kh * kw - 1 - k] }
        } } }
        let transposed = Convolution(weights: Tensor(shape: [c, coutG, kh, kw], storage: turned), groups: groups,
                                     dilation: dilation)
        return try transposed.applied(to: Tensor(shape: [o, uh, uw], storage: spread)).storage
    }

    /// Max pooling sends each output's gradient to the cell that won its window (the first maximum, as the
    /// forward pass picks it); average pooling shares it equally among the cells it divided by.
    func poolingBackward(_ node: GraphNode, x: Tensor, g: [Float]) throws -> [Float] {
        guard let (c, h, w) = x.planeShape else { throw EngineError.shapeMismatch("pooling input \(x.shape)") }
        let pool = try pooling(of: node, height: h, width: w)
        return try pool.inputGradient(g, input: Tensor(shape: [c, h, w], storage: x.storage)).storage
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
    /// order, NaN winning as in `applied(to:)`), or nil for a window with no image cell — and, with
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
                if let b = best { if v > plane[base + b] || (v.isNaN && !plane[base + b].isNaN) { best = cell } } else { best = cell }
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
