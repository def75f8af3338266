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

/// BatchNormalization in inference mode: y = scale·(x − mean)/√(var + ε) + bias per channel.
struct BatchNormalizationOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "bn" }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let bn = try BatchNormalization(scale: try inputs.required(1).storage, bias: try inputs.required(2).storage,
                                        mean: try inputs.required(3).storage, variance: try inputs.required(4).storage,
                                        epsilon: node.float("epsilon", default: 1e-5))
        return [try bn.applied(to: try inputs.required(0))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] { [try inputs.shape(0)] }

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
