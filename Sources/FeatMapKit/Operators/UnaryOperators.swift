import Foundation

/// Elementwise functions of one input, as ONNX defines them (defaults from onnx/defs/math/defs.cc):
/// the activations of later CNNs (Elu, Selu, Celu, Softplus, Softsign, HardSigmoid, HardSwish, Gelu,
/// Mish) and the plain math functions (Erf, Exp, Log, Sqrt, Abs, Neg, Reciprocal, Floor, Ceil).
/// None of them changed meaning across opsets (opset 6 only dropped the `consumed_inputs` attribute).
struct UnaryOperator: OperatorUnit {
    enum Kind: Sendable, Equatable {
        case elu, selu, celu, softplus, softsign, hardSigmoid, hardSwish, gelu, mish
        case erf, exp, log, sqrt, abs, neg, reciprocal, floor, ceil
    }
    var kind: Kind
    var role: OperatorRole { .featureMap }

    /// Elementwise: each value from itself alone by one scalar function.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.onlyFirstCarries }

    /// The function y = f(x) with the node's attributes.
    func function(_ node: GraphNode) throws -> @Sendable (Float) -> Float {
        switch kind {
        case .elu:
            let a = node.float("alpha", default: 1)
            return { x in x < 0 ? a * (Foundation.exp(x) - 1) : x }
        case .selu:
            let a = node.float("alpha", default: 1.67326319217681884765625), g = node.float("gamma", default: 1.05070102214813232421875)
            return { x in x <= 0 ? g * a * (Foundation.exp(x) - 1) : g * x }
        case .celu:
            // max(0, x) + min(0, α(e^(x/α) − 1)).
            let a = node.float("alpha", default: 1)
            return { x in Swift.max(0, x) + Swift.min(0, a * (Foundation.exp(x / a) - 1)) }
        case .softplus:
            // ln(1 + e^x), written so e^x never overflows.
            return { x in Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
        case .softsign: return { x in x / (1 + Swift.abs(x)) }
        case .hardSigmoid:
            let a = node.float("alpha", default: 0.2), b = node.float("beta", default: 0.5)
            return { x in Swift.max(0, Swift.min(1, a * x + b)) }
        case .hardSwish:
            // x · HardSigmoid(x) with α = 1/6, β = 1/2.
            return { x in x * Swift.max(0, Swift.min(1, x / 6 + 0.5)) }
        case .gelu:
            if try Self.geluUsesTanh(node) {
                let c = Float((2 / Double.pi).squareRoot())
                return { x in 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x))) }
            }
            return { x in 0.5 * x * (1 + Foundation.erf(x / Float(2).squareRoot())) }
        case .mish:
            return { x in x * Foundation.tanh(Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))) }
        case .erf: return { Foundation.erf($0) }
        case .exp: return { Foundation.exp($0) }
        case .log: return { Foundation.log($0) }
        case .sqrt: return { $0.squareRoot() }
        case .abs: return { Swift.abs($0) }
        case .neg: return { -$0 }
        case .reciprocal: return { 1 / $0 }
        case .floor: return { $0.rounded(.down) }
        case .ceil: return { $0.rounded(.up) }
        }
    }

    /// ∂y/∂x at input x with output y.
    func derivative(_ node: GraphNode) throws -> (Float, Float) -> Float {
        func sigmoid(_ x: Float) -> Float { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
        switch kind {
        case .elu:
            let a = node.float("alpha", default: 1)
            return { x, _ in x < 0 ? a * Foundation.exp(x) : 1 }
        case .selu:
            let a = node.float("alpha", default: 1.67326319217681884765625), g = node.float("gamma", default: 1.05070102214813232421875)
            return { x, _ in x <= 0 ? g * a * Foundation.exp(x) : g }
        case .celu:
            let a = node.float("alpha", default: 1)
            return { x, _ in x > 0 ? 1 : Foundation.exp(x / a) }
        case .softplus: return { x, _ in sigmoid(x) }
        case .softsign: return { x, _ in 1 / ((1 + Swift.abs(x)) * (1 + Swift.abs(x))) }
        case .hardSigmoid:
            let a = node.float("alpha", default: 0.2), b = node.float("beta", default: 0.5)
            return { x, _ in a * x + b > 0 && a * x + b < 1 ? a : 0 }
        case .hardSwish: return { x, _ in x < -3 ? 0 : (x > 3 ? 1 : x / 3 + 0.5) }
        case .gelu:
            if try Self.geluUsesTanh(node) {
                let c = Float((2 / Double.pi).squareRoot())
                return { x, _ in
                    let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
                }
            }
            // Φ(x) + x·φ(x).
            return { x, _ in
                0.5 * (1 + Foundation.erf(x / Float(2).squareRoot())) + x * Foundation.exp(-x * x / 2) / Float(2 * Double.pi).squareRoot()
            }
        case .mish:
            return { x, _ in
                let t = Foundation.tanh(Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))))
                return t + x * (1 - t * t) * sigmoid(x)
            }
        case .erf: return { x, _ in 2 / Float.pi.squareRoot() * Foundation.exp(-x * x) }
        case .exp: return { _, y in y }
        case .log: return { x, _ in 1 / x }
        case .sqrt: return { _, y in 0.5 / y }
        case .abs: return { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }
        case .neg: return { _, _ in -1 }
        case .reciprocal: return { _, y in -y * y }
        case .floor, .ceil: return { _, _ in 0 }
        }
    }

    /// Gelu (opset 20) is exact, with erf, or with `approximate = "tanh"` the tanh approximation.
    static func geluUsesTanh(_ node: GraphNode) throws -> Bool {
        switch node.string("approximate") ?? "none" {
        case "none": return false
        case "tanh": return true
        case let other: throw EngineError.invalidParameter("Gelu's approximate '\(other)' is not one of none, tanh")
        }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        var x = try inputs.required(0)
        let f = try function(node)
        let n = x.count
        guard n > 0 else { return [x] }
        x.storage.withUnsafeMutableBufferPointer { buf in
            let p = SendablePointer(buf.baseAddress!)
            Parallel.forEachChunk(n, minimumChunk: 1 << 15) { range in
                let v = p.base
                for i in range { v[i] = f(v[i]) }
            }
        }
        return [x]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        _ = try function(node)
        return [try inputs.shape(0)]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0).storage, y = context.output.storage, g = context.gradient
        let d = try derivative(node)
        context.add(0, (0..<g.count).map { g[$0] * d(x[$0], y[$0]) })
    }
}

/// PRelu: x for x ≥ 0, slope·x otherwise, the learned slope broadcast to x (one per channel as
/// [C, 1, 1], or one for all). From opset 7 the slope broadcasts one way, NumPy style; before 7 a
/// slope of C values is one per channel (axis 1), as PyTorch's PReLU(num_parameters: C) exported it.
struct PReluOperator: OperatorUnit {
    var perChannelSlope = false
    var role: OperatorRole { .featureMap }

    /// The slope as it broadcasts: [C] → [C, 1, …] under the opset-6 rule.
    func slopeShape(_ x: [Int], _ slope: [Int]) -> [Int] {
        guard perChannelSlope, slope.count == 1, x.count > 2, slope[0] == x[1] else { return slope }
        return [slope[0]] + [Int](repeating: 1, count: x.count - 2)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0), given = try inputs.required(1)
        let slope = given.reshaped(slopeShape(x.shape, given.shape))
        try Self.checkSlope(x.shape, slope.shape)
        return [try Elementwise.broadcast(x, slope) { v, a in v < 0 ? v * a : v }]
    }

    static func checkSlope(_ x: [Int], _ slope: [Int]) throws {
        guard Elementwise.broadcastShape(x, slope) == x else {
            throw EngineError.shapeMismatch("PRelu's slope of shape \(slope) does not broadcast to its input of shape \(x)")
        }
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        try Self.checkSlope(x, slopeShape(x, try inputs.shape(1)))
        return [x]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    /// The slope is a constant: ∂y/∂x is 1 or the slope.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), given = try context.input(1), g = context.gradient
        let slope = given.reshaped(slopeShape(x.shape, given.shape))
        let factor = try Elementwise.broadcast(x, slope) { v, a in v < 0 ? a : 1 }.storage
        context.add(0, (0..<g.count).map { g[$0] * factor[$0] })
    }
}

/// Pow: x^y elementwise, both broadcast NumPy style (opset 7 on; later opsets only widened the types);
/// before 7, y broadcasts only with `broadcast` = 1, as Add's did (see ArithmeticOperator).
struct PowOperator: OperatorUnit {
    var legacyBroadcast = false
    var role: OperatorRole { .featureMap }

    func exponentShape(_ node: GraphNode, _ a: [Int], _ b: [Int]) throws -> [Int] {
        legacyBroadcast ? try ArithmeticOperator.legacySecondShape(node, a, b) : b
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let a = try inputs.required(0), b = try inputs.required(1)
        return [try Elementwise.broadcast(a, b.reshaped(try exponentShape(node, a.shape, b.shape))) { Foundation.pow($0, $1) }]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let a = try inputs.shape(0)
        return [try ShapeRules.broadcast([a, try exponentShape(node, a, try inputs.shape(1))])]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordJoin(of: node.inputs, context)
    }

    /// ∂(a^b)/∂a = b·a^(b−1) and ∂(a^b)/∂b = a^b·ln a, each summed back over the axes it was broadcast along.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let a = try context.input(0), given = try context.input(1), y = context.output, g = context.gradient
        let b = given.reshaped(try exponentShape(node, a.shape, given.shape))
        if context.carries(0) {
            let d = try Elementwise.broadcast(a, b) { u, v in v * Foundation.pow(u, v - 1) }.storage
            context.add(0, Elementwise.unbroadcast((0..<g.count).map { g[$0] * d[$0] }, from: y.shape, to: a.shape))
        }
        if context.carries(1) {
            let lnA = try Elementwise.broadcast(a, b) { u, _ in Foundation.log(u) }.storage
            context.add(1, Elementwise.unbroadcast((0..<g.count).map { g[$0] * y.storage[$0] * lnA[$0] }, from: y.shape, to: b.shape))
        }
    }

    /// The exponent is not learned.
    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}
