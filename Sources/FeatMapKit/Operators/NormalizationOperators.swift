import Foundation

/// How a normalisation groups its input and where its learned scale and bias go: x̂ (standardised over
/// consecutive groups of `groupSize` values) is viewed as `view` and multiplied by the scale reshaped
/// to `parameter` (or in its own shape when nil), broadcast NumPy style.
private struct NormalizationLayout {
    var groupSize: Int
    var view: [Int]
    var parameter: [Int]?

    func normalised(_ x: Tensor, scale: Tensor, bias: Tensor?, epsilon: Float) throws -> (y: Tensor, mean: [Float], inverseDeviation: [Float]) {
        let (xHat, mean, inverse) = try Standardization.standardized(x.storage, groupSize: groupSize, epsilon: epsilon)
        var y = try Elementwise.broadcast(Tensor(shape: view, storage: xHat), try reshapedParameter(scale, "scale"), *)
        if let bias { y = try Elementwise.broadcast(y, try reshapedParameter(bias, "bias"), +) }
        guard y.shape == view else {
            throw EngineError.shapeMismatch("a scale or bias of shape \(scale.shape) does not broadcast to the input's \(x.shape)")
        }
        return (y.reshaped(x.shape), mean, inverse)
    }

    func inputGradient(_ g: [Float], input x: Tensor, scale: Tensor, epsilon: Float) throws -> [Float] {
        let gHat = try Elementwise.broadcast(Tensor(shape: view, storage: g), try reshapedParameter(scale, "scale"), *)
        return try Standardization.inputGradient(gHat.storage, input: x.storage, groupSize: groupSize, epsilon: epsilon)
    }

    func reshapedParameter(_ t: Tensor, _ what: String) throws -> Tensor {
        guard let parameter else { return t }
        guard t.count == parameter.reduce(1, *) else {
            throw EngineError.shapeMismatch("its \(what) has \(t.count) values (shape \(t.shape)); it needs shape \(parameter)")
        }
        return t.reshaped(parameter)
    }

    /// Checks the scale and bias shapes as shape inference, without values.
    func check(_ x: [Int], scale: [Int], bias: [Int]?) throws {
        for (what, p) in [("scale", scale), ("bias", bias)] {
            guard let p else { continue }
            let viewed = parameter ?? p
            guard p.reduce(1, *) == viewed.reduce(1, *), Elementwise.broadcastShape(view, viewed) == view else {
                throw EngineError.shapeMismatch("its \(what) of shape \(p) does not fit an input of shape \(x)\(parameter.map { "; it needs shape \($0)" } ?? "")")
            }
        }
    }
}

/// The [N, C, …] input's channel count and values per channel map.
private func channelsAndMap(_ shape: [Int], _ op: String) throws -> (n: Int, c: Int, map: Int) {
    guard shape.count >= 2 else { throw EngineError.shapeMismatch("\(op) needs an [N, C, …] input, got \(shape)") }
    return (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
}

/// InstanceNormalization: each channel map of each image standardised on its own, then
/// scale[c]·x̂ + B[c] (ε default 1e-5).
struct InstanceNormalizationOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "in" }

    private func layout(_ shape: [Int]) throws -> NormalizationLayout {
        let (_, c, map) = try channelsAndMap(shape, "InstanceNormalization")
        return NormalizationLayout(groupSize: map, view: shape, parameter: [c] + [Int](repeating: 1, count: shape.count - 2))
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try layout(x.shape).normalised(x, scale: try inputs.required(1), bias: try inputs.required(2),
                                               epsilon: node.float("epsilon", default: 1e-5)).y]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        try layout(x).check(x, scale: try inputs.shape(1), bias: try inputs.shape(2))
        return [x]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        context.add(0, try layout(x.shape).inputGradient(context.gradient, input: x, scale: try context.input(1),
                                                          epsilon: node.float("epsilon", default: 1e-5)))
    }
}

/// GroupNormalization: the channels of each image split into `num_groups` runs, each standardised
/// (ε default 1e-5). Opset 18 had one scale and bias per group; opset 21 changed them to one per channel.
struct GroupNormalizationOperator: OperatorUnit {
    var perChannelAffine: Bool
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "gn" }

    private func layout(_ node: GraphNode, _ shape: [Int]) throws -> NormalizationLayout {
        let (n, c, map) = try channelsAndMap(shape, "GroupNormalization")
        guard let groups = node.attributes["num_groups"]?.intValue else {
            throw EngineError.invalidParameter("GroupNormalization needs its num_groups attribute")
        }
        guard groups > 0, c % groups == 0 else {
            throw EngineError.invalidParameter("GroupNormalization cannot split \(c) channels into \(groups) groups of equal size")
        }
        let m = c / groups * map
        if perChannelAffine {
            return NormalizationLayout(groupSize: m, view: shape, parameter: [c] + [Int](repeating: 1, count: shape.count - 2))
        }
        return NormalizationLayout(groupSize: m, view: [n, groups, m], parameter: [groups, 1])
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [try layout(node, x.shape).normalised(x, scale: try inputs.required(1), bias: try inputs.required(2),
                                                     epsilon: node.float("epsilon", default: 1e-5)).y]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        try layout(node, x).check(x, scale: try inputs.shape(1), bias: try inputs.shape(2))
        return [x]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        context.add(0, try layout(node, x.shape).inputGradient(context.gradient, input: x, scale: try context.input(1),
                                                                epsilon: node.float("epsilon", default: 1e-5)))
    }
}

/// LayerNormalization (opset 17): the axes from `axis` (default −1) on standardised together, then
/// Scale·x̂ + B, both broadcast to those axes (B optional, ε default 1e-5). The optional outputs Mean
/// and InvStdDev keep the leading axes and have size 1 along the normalised ones. stash_type asks for
/// float32 statistics; featmap computes them in double precision whatever it says.
struct LayerNormalizationOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "ln" }

    private func axis(_ node: GraphNode, _ shape: [Int]) throws -> Int {
        let axis = node.int("axis", default: -1)
        let a = axis < 0 ? axis + shape.count : axis
        guard a >= 0, a < shape.count else {
            throw EngineError.invalidParameter("LayerNormalization's axis \(axis) is outside a tensor of rank \(shape.count)")
        }
        return a
    }

    private func layout(_ node: GraphNode, _ shape: [Int], scale: [Int]) throws -> NormalizationLayout {
        let a = try axis(node, shape)
        guard scale.count <= shape.count - a else {
            throw EngineError.shapeMismatch("LayerNormalization's scale of shape \(scale) has more axes than the normalised \(Array(shape[a...]))")
        }
        return NormalizationLayout(groupSize: shape[a...].reduce(1, *), view: shape, parameter: nil)
    }

    private func statisticsShape(_ node: GraphNode, _ shape: [Int]) throws -> [Int] {
        let a = try axis(node, shape)
        return Array(shape[..<a]) + [Int](repeating: 1, count: shape.count - a)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0), scale = try inputs.required(1)
        let (y, mean, inverse) = try layout(node, x.shape, scale: scale.shape)
            .normalised(x, scale: scale, bias: inputs.optional(2), epsilon: node.float("epsilon", default: 1e-5))
        let stats = try statisticsShape(node, x.shape)
        return [y, Tensor(shape: stats, storage: mean), Tensor(shape: stats, storage: inverse)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0), scale = try inputs.shape(1)
        try layout(node, x, scale: scale).check(x, scale: scale, bias: inputs.has(2) ? try inputs.shape(2) : nil)
        let stats = try statisticsShape(node, x)
        return [x, stats, stats]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), scale = try context.input(1)
        context.add(0, try layout(node, x.shape, scale: scale.shape).inputGradient(context.gradient, input: x, scale: scale,
                                                                                   epsilon: node.float("epsilon", default: 1e-5)))
    }
}

/// LRN, local response normalisation across channels (AlexNet, GoogLeNet):
/// y_c = x_c / (bias + α/size · Σ x_i²)^β, the sum over channels i from c − ⌊(size−1)/2⌋ to
/// c + ⌈(size−1)/2⌉ that exist (α 1e-4, β 0.75, bias 1 by default). It mixes channels, not positions.
struct LRNOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "norm" }

    private struct Parameters { var size: Int; var alpha: Float; var beta: Float; var bias: Float }

    private func parameters(_ node: GraphNode) throws -> Parameters {
        guard let size = node.attributes["size"]?.intValue else { throw EngineError.invalidParameter("LRN needs its size attribute") }
        guard size >= 1 else { throw EngineError.invalidParameter("LRN's size \(size) must be at least 1") }
        return Parameters(size: size, alpha: node.float("alpha", default: 1e-4), beta: node.float("beta", default: 0.75),
                          bias: node.float("bias", default: 1))
    }

    /// bias + α/size · Σ x_i² over each value's window of channels, shaped like x.
    private func denominators(_ x: Tensor, _ p: Parameters) throws -> [Float] {
        let (n, c, map) = try channelsAndMap(x.shape, "LRN")
        let below = (p.size - 1) / 2, above = p.size - 1 - below
        let squares = x.storage.map { Double($0) * Double($0) }
        var s = [Float](repeating: 0, count: x.count)
        var acc = [Double](repeating: 0, count: map)
        let k = Double(p.alpha) / Double(p.size)
        for b in 0..<n {
            for ch in 0..<c {
                for j in 0..<map { acc[j] = 0 }
                for i in Swift.max(0, ch - below)...Swift.min(c - 1, ch + above) {
                    let base = (b * c + i) * map
                    for j in 0..<map { acc[j] += squares[base + j] }
                }
                let base = (b * c + ch) * map
                for j in 0..<map { s[base + j] = Float(Double(p.bias) + k * acc[j]) }
            }
        }
        return s
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0), p = try parameters(node)
        let s = try denominators(x, p)
        return [Tensor(shape: x.shape, storage: (0..<x.count).map { x.storage[$0] / Foundation.pow(s[$0], p.beta) })]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        _ = try parameters(node)
        _ = try channelsAndMap(x, "LRN")
        return [x]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    /// With s_c the denominator's base: ∂L/∂x_j = g_j·s_j^(−β) − (2αβ/size)·x_j·Σ g_c·x_c·s_c^(−β−1)
    /// over the channels c whose window holds j (c from j − ⌈(size−1)/2⌉ to j + ⌊(size−1)/2⌋).
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), p = try parameters(node), g = context.gradient
        let (n, c, map) = try channelsAndMap(x.shape, "LRN")
        let s = try denominators(x, p)
        let below = (p.size - 1) / 2, above = p.size - 1 - below
        let t = (0..<x.count).map { Double(g[$0]) * Double(x.storage[$0]) * Foundation.pow(Double(s[$0]), Double(-p.beta - 1)) }
        let k = 2 * Double(p.alpha) * Double(p.beta) / Double(p.size)
        var d = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for ch in 0..<c {
                let base = (b * c + ch) * map
                for j in 0..<map {
                    var sum = 0.0
                    for i in Swift.max(0, ch - above)...Swift.min(c - 1, ch + below) { sum += t[(b * c + i) * map + j] }
                    let v = base + j
                    d[v] = Float(Double(g[v]) * Foundation.pow(Double(s[v]), Double(-p.beta)) - k * Double(x.storage[v]) * sum)
                }
            }
        }
        context.add(0, d)
    }
}
