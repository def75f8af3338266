/// Relu, LeakyRelu, Sigmoid, Tanh and Clip: elementwise functions that a Conv can apply to each
/// block of its output (see `FusionPlan`).
struct ActivationOperator: OperatorUnit {
    enum Kind: Sendable, Equatable {
        case relu, leakyRelu, sigmoid, tanh
        /// Clip's bounds are attributes before opset 11 and optional inputs from 11 on.
        case clip(boundsAsInputs: Bool)
    }
    var kind: Kind
    var role: OperatorRole { .featureMap }

    /// Elementwise: each value from itself alone, by the same function wherever it sits (the 16-wide
    /// sigmoid computes every lane, the tail's too, by the same vector code).
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.onlyFirstCarries }

    func activation(_ node: GraphNode, _ inputs: [Tensor?]) -> Activation? {
        switch kind {
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu(alpha: node.float("alpha", default: 0.01))
        case .sigmoid: return .sigmoid
        case .tanh: return .tanh
        case .clip(let boundsAsInputs):
            if boundsAsInputs {
                let lo = (inputs.count > 1 ? inputs[1] : nil)?.storage.first ?? -.greatestFiniteMagnitude
                let hi = (inputs.count > 2 ? inputs[2] : nil)?.storage.first ?? .greatestFiniteMagnitude
                return .clip(min: lo, max: hi)
            }
            return .clip(min: node.float("min", default: -.greatestFiniteMagnitude), max: node.float("max", default: .greatestFiniteMagnitude))
        }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [activation(node, inputs.values)!.applied(to: x)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] { [try inputs.shape(0)] }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let g = context.gradient, y = context.output.storage
        switch kind {
        case .relu:
            let x = try context.input(0).storage
            context.add(0, zip(g, x).map { $1 > 0 ? $0 : 0 })
        case .leakyRelu:
            let a = node.float("alpha", default: 0.01), x = try context.input(0).storage
            context.add(0, zip(g, x).map { $1 < 0 ? $0 * a : $0 })
        case .sigmoid: context.add(0, zip(g, y).map { $0 * $1 * (1 - $1) })
        case .tanh: context.add(0, zip(g, y).map { $0 * (1 - $1 * $1) })
        case .clip:
            // The bounds do not matter: a clipped value equals its bound, an unclipped one its input.
            let x = try context.input(0).storage
            context.add(0, (0..<g.count).map { x[$0] == y[$0] ? g[$0] : 0 })
        }
    }
}

/// BatchNormalization: y = scale·(x − mean)/√(var + ε) + bias per channel, with the stored mean and
/// variance; with `training_mode` = 1 (opset 14 on) with the batch's own (population variance), and the
/// running statistics as outputs 2 and 3: stored·momentum + batch·(1 − momentum), as ONNX defines them.
struct BatchNormalizationOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "bn" }

    /// In inference, y = scale·x + shift per channel; training mode's statistics mix the samples.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool {
        node.int("training_mode", default: 0) == 0 && view.onlyFirstCarries
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        var mean = try inputs.required(3).storage, variance = try inputs.required(4).storage
        var running: [Tensor] = []
        if node.int("training_mode", default: 0) != 0 {
            guard x.rank >= 2, x.shape[1] == mean.count, variance.count == mean.count else {
                throw EngineError.shapeMismatch("batch normalisation for \(mean.count) channels cannot take an input of shape \(x.shape)")
            }
            let (n, c, plane) = (x.shape[0], x.shape[1], x.shape.dropFirst(2).reduce(1, *))
            let momentum = node.float("momentum", default: 0.9)
            var batchMean = [Float](repeating: 0, count: c), batchVariance = [Float](repeating: 0, count: c)
            for ch in 0..<c {
                var sum = 0.0, squares = 0.0
                for b in 0..<n { for i in 0..<plane { let v = Double(x.storage[(b * c + ch) * plane + i]); sum += v; squares += v * v } }
                let count = Double(max(1, n * plane)), m = sum / count
                batchMean[ch] = Float(m)
                batchVariance[ch] = Float(max(0, squares / count - m * m))
            }
            running = [Tensor(shape: [c], storage: (0..<c).map { mean[$0] * momentum + batchMean[$0] * (1 - momentum) }),
                       Tensor(shape: [c], storage: (0..<c).map { variance[$0] * momentum + batchVariance[$0] * (1 - momentum) })]
            (mean, variance) = (batchMean, batchVariance)
        }
        let bn = try BatchNormalization(scale: try inputs.required(1).storage, bias: try inputs.required(2).storage,
                                        mean: mean, variance: variance, epsilon: node.float("epsilon", default: 1e-5))
        return [try bn.applied(to: x)] + running
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        return node.int("training_mode", default: 0) != 0 ? [x, try inputs.shape(3), try inputs.shape(4)] : [x]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let scale = try context.input(1).storage, variance = try context.input(4).storage, g = context.gradient
        let eps = node.float("epsilon", default: 1e-5)
        let n = g.count / max(1, scale.count)
        context.add(0, (0..<g.count).map { j in g[j] * scale[j / n] / (variance[j / n] + eps).squareRoot() })
    }
}
