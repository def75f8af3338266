import Foundation

/// LSTM (opsets 7–13, and 14 on with `layout`), as ONNX defines it and onnxruntime computes it:
/// X [seq, batch, input] (layout 1: [batch, seq, input]); W [dirs, 4H, input], R [dirs, 4H, H] with
/// the gates in the order i, o, f, c; optional B [dirs, 8H] (W's biases, then R's), sequence_lens
/// [batch], initial_h and initial_c [dirs, batch, H] (layout 1: [batch, dirs, H]), and peepholes
/// P [dirs, 3H] (i, o, f). For each direction and step:
///
///     i = f(Xt·Wiᵀ + Ht−1·Riᵀ + Pi⊙Ct−1 + Wbi + Rbi)      f = f(… Pf⊙Ct−1 …)  (1 − i with input_forget)
///     c = g(Xt·Wcᵀ + Ht−1·Rcᵀ + Wbc + Rbc)                 Ct = f⊙Ct−1 + i⊙c
///     o = f(Xt·Woᵀ + Ht−1·Roᵀ + Po⊙Ct + Wbo + Rbo)        Ht = o⊙h(Ct)
///
/// with (f, g, h) from `activations` (default Sigmoid, Tanh, Tanh for each direction; also Relu,
/// LeakyRelu, ThresholdedRelu, HardSigmoid, Elu, Softsign, Softplus, Affine, ScaledTanh, their α and β
/// taken in order from activation_alpha / activation_beta by the functions that have them), each gate's
/// pre-activation clipped to ±`clip` when given. `direction` forward, reverse or bidirectional (the
/// reverse direction reads each sequence from its own last step, sequence_lens[b] − 1). Outputs Y
/// [seq, dirs, batch, H] (layout 1: [batch, seq, dirs, H]), zero past a sequence's length; Y_h and
/// Y_c the last state of each direction (zero for a sequence of length 0).
struct LSTMOperator: OperatorUnit {
    /// Opset 14 on: the `layout` attribute.
    var hasLayout: Bool
    var role: OperatorRole { .endsSpatialLayout }
    func shortName(of op: String) -> String { "lstm" }

    struct Geometry {
        var seq: Int, batch: Int, input: Int, hidden: Int, dirs: Int, layout: Int
    }

    func geometry(_ node: GraphNode, x: [Int], w: [Int], r: [Int]) throws -> Geometry {
        let layout = hasLayout ? node.int("layout", default: 0) : 0
        guard layout == 0 || layout == 1 else { throw EngineError.invalidParameter("LSTM's layout is 0 or 1, not \(layout)") }
        guard x.count == 3 else { throw EngineError.shapeMismatch("LSTM's X is [seq, batch, input]\(layout == 1 ? " (layout 1: [batch, seq, input])" : ""), got \(x)") }
        let dirs: Int
        switch node.string("direction") ?? "forward" {
        case "forward", "reverse": dirs = 1
        case "bidirectional": dirs = 2
        case let other: throw EngineError.invalidParameter("LSTM's direction is forward, reverse or bidirectional, not '\(other)'")
        }
        guard w.count == 3, r.count == 3, w[0] == dirs, r[0] == dirs else {
            throw EngineError.shapeMismatch("LSTM's W and R are [\(dirs), 4·hidden, …] for \(dirs) direction\(dirs == 1 ? "" : "s"), got \(w) and \(r)")
        }
        let hidden = node.int("hidden_size", default: r[2])
        guard hidden > 0, w[1] == 4 * hidden, r[1] == 4 * hidden, r[2] == hidden, w[2] == x[2] else {
            throw EngineError.shapeMismatch("LSTM with hidden_size \(hidden) and input size \(x[2]) needs W [\(dirs), \(4 * hidden), \(x[2])] and R [\(dirs), \(4 * hidden), \(hidden)], got \(w) and \(r)")
        }
        let (seq, batch) = layout == 0 ? (x[0], x[1]) : (x[1], x[0])
        return Geometry(seq: seq, batch: batch, input: x[2], hidden: hidden, dirs: dirs, layout: layout)
    }

    func stateShape(_ g: Geometry) -> [Int] { g.layout == 0 ? [g.dirs, g.batch, g.hidden] : [g.batch, g.dirs, g.hidden] }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let g = try geometry(node, x: try inputs.shape(0), w: try inputs.shape(1), r: try inputs.shape(2))
        try check(inputs.has(3) ? try inputs.shape(3) : nil, [g.dirs, 8 * g.hidden], "B")
        try check(inputs.has(4) ? try inputs.shape(4) : nil, [g.batch], "sequence_lens")
        try check(inputs.has(5) ? try inputs.shape(5) : nil, stateShape(g), "initial_h")
        try check(inputs.has(6) ? try inputs.shape(6) : nil, stateShape(g), "initial_c")
        try check(inputs.has(7) ? try inputs.shape(7) : nil, [g.dirs, 3 * g.hidden], "P")
        _ = try activations(node, dirs: g.dirs)
        let y = g.layout == 0 ? [g.seq, g.dirs, g.batch, g.hidden] : [g.batch, g.seq, g.dirs, g.hidden]
        return [y, stateShape(g), stateShape(g)]
    }

    func check(_ shape: [Int]?, _ expected: [Int], _ name: String) throws {
        if let shape, shape != expected { throw EngineError.shapeMismatch("LSTM's \(name) is \(expected) here, got \(shape)") }
    }

    /// One of the functions an RNN applies to its gates.
    struct Function {
        var name: String, alpha: Float, beta: Float

        func callAsFunction(_ x: Float) -> Float {
            switch name {
            case "sigmoid": return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
            case "tanh": return Foundation.tanh(x)
            case "relu": return Swift.max(x, 0)
            case "leakyrelu": return x < 0 ? alpha * x : x
            case "thresholdedrelu": return x > alpha ? x : 0
            case "hardsigmoid": return Swift.min(Swift.max(alpha * x + beta, 0), 1)
            case "elu": return x < 0 ? alpha * (Foundation.exp(x) - 1) : x
            case "softsign": return x / (1 + Swift.abs(x))
            case "softplus": return x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
            case "affine": return alpha * x + beta
            case "scaledtanh": return alpha * Foundation.tanh(beta * x)
            default: return x
            }
        }
    }

    /// (f, g, h) for each direction.
    func activations(_ node: GraphNode, dirs: Int) throws -> [[Function]] {
        let names = node.strings("activations") ?? Array(repeating: ["Sigmoid", "Tanh", "Tanh"], count: dirs).flatMap { $0 }
        guard names.count == 3 * dirs else {
            throw EngineError.invalidParameter("LSTM names \(names.count) activations; it needs 3 for each of its \(dirs) direction\(dirs == 1 ? "" : "s") (f, g, h)")
        }
        var alphas = (node.floats("activation_alpha") ?? [])[...], betas = (node.floats("activation_beta") ?? [])[...]
        // (α, β) defaults of the functions that take them, as the ONNX operators of those names define.
        let parameters: [String: (alpha: Float?, beta: Float?)] = [
            "leakyrelu": (0.01, nil), "thresholdedrelu": (1, nil), "elu": (1, nil), "hardsigmoid": (0.2, 0.5),
            "affine": (1, 0), "scaledtanh": (1, 1),
        ]
        let known: Set<String> = ["sigmoid", "tanh", "relu", "softsign", "softplus"]
        let functions = try names.map { raw -> Function in
            let name = raw.lowercased()
            guard known.contains(name) || parameters[name] != nil else {
                throw EngineError.invalidParameter("LSTM's activation '\(raw)' is not one ONNX defines for RNNs (Sigmoid, Tanh, Relu, LeakyRelu, ThresholdedRelu, HardSigmoid, Elu, Softsign, Softplus, Affine, ScaledTanh)")
            }
            var f = Function(name: name, alpha: 0, beta: 0)
            if let p = parameters[name] {
                if let a = p.alpha { f.alpha = alphas.popFirst() ?? a }
                if let b = p.beta { f.beta = betas.popFirst() ?? b }
            }
            return f
        }
        return (0..<dirs).map { Array(functions[3 * $0..<3 * $0 + 3]) }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0), w = try inputs.required(1), r = try inputs.required(2)
        let g = try geometry(node, x: x.shape, w: w.shape, r: r.shape)
        let shapes = try outputShapes(node, ShapeInputs(shapes: inputs.values.map { $0?.shape }, constants: inputs.values, opset: inputs.opset))
        let (seq, batch, input, hidden, dirs) = (g.seq, g.batch, g.input, g.hidden, g.dirs)
        let functions = try activations(node, dirs: dirs)
        let clip = node.attributes["clip"]?.floatValue
        if let clip, !(clip > 0) { throw EngineError.invalidParameter("LSTM's clip is a positive threshold, not \(clip)") }
        let inputForget = node.int("input_forget", default: 0) != 0
        let reverseOnly = node.string("direction") == "reverse"
        let lengths: [Int] = try inputs.optional(4).map { t in
            try t.storage.map { v in
                let n = Int(v)
                guard n >= 0, n <= seq else { throw EngineError.invalidParameter("LSTM's sequence_lens holds \(n); each length is between 0 and \(seq)") }
                return n
            }
        } ?? Array(repeating: seq, count: batch)
        // X as [seq·batch, input], rows in step-major order.
        var xs = [Float](repeating: 0, count: seq * batch * input)
        for t in 0..<seq {
            for b in 0..<batch {
                let from = g.layout == 0 ? (t * batch + b) * input : (b * seq + t) * input
                for k in 0..<input { xs[(t * batch + b) * input + k] = x.storage[from + k] }
            }
        }
        let xm = Tensor(shape: [seq * batch, input], storage: xs)
        let h4 = 4 * hidden
        var y = [Float](repeating: 0, count: seq * dirs * batch * hidden)
        var yh = [Float](repeating: 0, count: dirs * batch * hidden), yc = yh
        // State [d][b][k] at its place in an [dirs, batch, H] or [batch, dirs, H] tensor.
        func stateIndex(_ d: Int, _ b: Int) -> Int { g.layout == 0 ? (d * batch + b) * hidden : (b * dirs + d) * hidden }
        for d in 0..<dirs {
            let reverse = reverseOnly || d == 1
            let wd = Tensor(shape: [h4, input], storage: Array(w.storage[d * h4 * input..<(d + 1) * h4 * input]))
            let rd = Tensor(shape: [h4, hidden], storage: Array(r.storage[d * h4 * hidden..<(d + 1) * h4 * hidden]))
            var bias = [Float](repeating: 0, count: h4)
            if let bt = inputs.optional(3) {
                for k in 0..<h4 { bias[k] = bt.storage[d * 8 * hidden + k] + bt.storage[d * 8 * hidden + h4 + k] }
            }
            let peep: [Float]? = inputs.optional(7).map { Array($0.storage[d * 3 * hidden..<(d + 1) * 3 * hidden]) }
            // Every step's input part at once: [seq·batch, 4H].
            let xw = try Gemm(alpha: 1, beta: 1, transposeA: false, transposeB: true)
                .applied(xm, wd, Tensor(shape: [1, h4], storage: bias)).storage
            var h = [Float](repeating: 0, count: batch * hidden), c = h
            for b in 0..<batch {
                let at = stateIndex(d, b)
                if let h0 = inputs.optional(5) { for k in 0..<hidden { h[b * hidden + k] = h0.storage[at + k] } }
                if let c0 = inputs.optional(6) { for k in 0..<hidden { c[b * hidden + k] = c0.storage[at + k] } }
            }
            let (f, gg, hh) = (functions[d][0], functions[d][1], functions[d][2])
            func clipped(_ v: Float) -> Float { clip.map { Swift.min(Swift.max(v, -$0), $0) } ?? v }
            for step in 0..<seq {
                let hr = try Gemm(alpha: 1, beta: 0, transposeA: false, transposeB: true)
                    .applied(Tensor(shape: [batch, hidden], storage: h), rd).storage
                for b in 0..<batch where step < lengths[b] {
                    let t = reverse ? lengths[b] - 1 - step : step
                    let row = (t * batch + b) * h4
                    for k in 0..<hidden {
                        func pre(_ gate: Int) -> Float { xw[row + gate * hidden + k] + hr[b * h4 + gate * hidden + k] }
                        let cPrev = c[b * hidden + k]
                        let i = f(clipped(pre(0) + (peep.map { $0[k] * cPrev } ?? 0)))
                        let forget = inputForget ? 1 - i : f(clipped(pre(2) + (peep.map { $0[2 * hidden + k] * cPrev } ?? 0)))
                        let candidate = gg(clipped(pre(3)))
                        let cell = forget * cPrev + i * candidate
                        let o = f(clipped(pre(1) + (peep.map { $0[hidden + k] * cell } ?? 0)))
                        let out = o * hh(cell)
                        c[b * hidden + k] = cell
                        h[b * hidden + k] = out
                        let yAt = g.layout == 0 ? ((t * dirs + d) * batch + b) * hidden : ((b * seq + t) * dirs + d) * hidden
                        y[yAt + k] = out
                    }
                }
            }
            // A sequence of length 0 ends in zero states, as onnxruntime gives (not its initial ones).
            for b in 0..<batch where lengths[b] > 0 {
                let at = stateIndex(d, b)
                for k in 0..<hidden { yh[at + k] = h[b * hidden + k]; yc[at + k] = c[b * hidden + k] }
            }
        }
        return [Tensor(shape: shapes[0], storage: y), Tensor(shape: shapes[1], storage: yh), Tensor(shape: shapes[2], storage: yc)]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.field = .notSpatial
        if let x = context.shape(of: node.inputs.first ?? ""), let w = context.shape(of: node.inputs.count > 1 ? node.inputs[1] : ""),
           let r = context.shape(of: node.inputs.count > 2 ? node.inputs[2] : ""), let g = try? geometry(node, x: x, w: w, r: r) {
            s.multiplyAccumulates = g.seq * g.batch * g.dirs * 4 * g.hidden * (g.input + g.hidden)
        }
    }
}
