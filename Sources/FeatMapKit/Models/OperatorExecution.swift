/// Maps each ONNX operator onto the engine. Tensors keep ONNX layout ([N, C, H, W]); the
/// spatial layers run the engine's [C, H, W] calls once per batch item.
extension Graph {
    static let supportedOperators: Set<String> = [
        "Conv", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "BatchNormalization", "Add", "Sub", "Mul", "Div", "Concat", "Reshape", "Flatten", "Transpose",
        "Gemm", "MatMul", "Softmax", "Dropout", "Identity", "Constant",
    ]

    func evaluate(_ node: GraphNode, index: Int, _ args: [Tensor?]) throws -> [Tensor] {
        let label = layerNames.indices.contains(index) ? layerNames[index] : node.op
        guard Graph.supportedOperators.contains(node.op) else { throw ModelError.unsupportedOperator(node: label, op: node.op) }
        func arg(_ i: Int) throws -> Tensor {
            guard i < args.count, let t = args[i] else {
                throw ModelError.layerFailed(node: label, op: node.op, reason: "input \(i + 1) is missing")
            }
            return t
        }
        func optionalArg(_ i: Int) -> Tensor? { i < args.count ? args[i] : nil }
        do {
            switch node.op {
            case "Conv":
                return [try convolved(node, input: try arg(0), weights: try arg(1), bias: optionalArg(2))]
            case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip":
                return [activation(node, args)!.applied(to: try arg(0))]
            case "MaxPool", "AveragePool":
                let x = try arg(0)
                guard let k = node.ints("kernel_shape"), k.count == 2 else {
                    throw EngineError.invalidParameter("pooling needs a 2-D kernel_shape")
                }
                let kernel = Pair(k[0], k[1]), stride = pair(node.ints("strides"), default: 1)
                let dilation = pair(node.ints("dilations"), default: 1)
                return [try perImage(x) { image in
                    let pool = Pooling(kind: node.op == "MaxPool" ? .max : .average, kernel: kernel, stride: stride,
                                       padding: try padding(node, kernel: kernel, stride: stride, dilation: dilation, input: image),
                                       dilation: dilation, ceilMode: node.int("ceil_mode", default: 0) != 0,
                                       countIncludePad: node.int("count_include_pad", default: 0) != 0)
                    return try pool.applied(to: image)
                }]
            case "GlobalAveragePool": return [try perImage(try arg(0)) { try Pooling.globalAverage(of: $0) }]
            case "GlobalMaxPool": return [try perImage(try arg(0)) { try Pooling.globalMaximum(of: $0) }]
            case "BatchNormalization":
                let bn = try BatchNormalization(scale: try arg(1).storage, bias: try arg(2).storage, mean: try arg(3).storage,
                                                variance: try arg(4).storage, epsilon: node.float("epsilon", default: 1e-5))
                return [try bn.applied(to: try arg(0))]
            case "Add": return [try Elementwise.add.applied(try arg(0), try arg(1))]
            case "Sub": return [try Elementwise.subtract.applied(try arg(0), try arg(1))]
            case "Mul": return [try Elementwise.multiply.applied(try arg(0), try arg(1))]
            case "Div": return [try Elementwise.divide.applied(try arg(0), try arg(1))]
            case "Concat":
                return [try Tensor.concatenated(try (0..<args.count).map(arg), axis: node.int("axis", default: 1))]
            case "Reshape":
                let target = try optionalArg(1).map { $0.storage.map { Int($0) } } ?? node.ints("shape") ?? {
                    throw EngineError.invalidParameter("Reshape has neither a shape input nor a shape attribute")
                }()
                return [try arg(0).reshaped(onnx: target, allowZero: node.int("allowzero", default: 0) != 0)]
            case "Flatten": return [try arg(0).flattened(axis: node.int("axis", default: 1))]
            case "Transpose": return [try arg(0).transposed(node.ints("perm"))]
            case "Gemm":
                let gemm = Gemm(alpha: node.float("alpha", default: 1), beta: node.float("beta", default: 1),
                                transposeA: node.int("transA", default: 0) != 0, transposeB: node.int("transB", default: 0) != 0)
                return [try gemm.applied(try arg(0), try arg(1), optionalArg(2))]
            case "MatMul": return [try Gemm.matrixProduct(try arg(0), try arg(1))]
            case "Softmax":
                let flattens = opset < 13
                return [try Softmax(axis: node.int("axis", default: flattens ? 1 : -1), flattensTrailingAxes: flattens).applied(to: try arg(0))]
            case "Dropout", "Identity": return [try arg(0)]
            case "Constant": return [try constant(node)]
            default: throw ModelError.unsupportedOperator(node: label, op: node.op)
            }
        } catch let e as EngineError {
            throw ModelError.layerFailed(node: label, op: node.op, reason: e.description)
        }
    }

    /// A Conv node's output for an [N, C, H, W] batch, with `activation` applied to each block as it is computed.
    func convolved(_ node: GraphNode, input x: Tensor, weights w: Tensor, bias: Tensor?, activation: Activation? = nil) throws -> Tensor {
        try perImage(x) { image in
            try convolution(node, weights: w, bias: bias, input: image).applied(to: image, activation: activation)
        }
    }

    /// The convolution a Conv node computes on one [C, H, W] image.
    func convolution(_ node: GraphNode, weights w: Tensor, bias: Tensor?, input x: Tensor) throws -> Convolution {
        guard w.rank == 4 else { throw EngineError.shapeMismatch("only 2-D convolutions are supported; weights have shape \(w.shape)") }
        guard w.count > 0, x.count > 0 else {
            throw EngineError.shapeMismatch("convolution with empty weights \(w.shape) or input \(x.shape)")
        }
        let stride = pair(node.ints("strides"), default: 1)
        let dilation = pair(node.ints("dilations"), default: 1)
        let kernel = Pair(w.shape[2], w.shape[3])
        return Convolution(weights: w, bias: bias?.storage, groups: node.int("group", default: 1), stride: stride,
                           dilation: dilation, padding: try padding(node, kernel: kernel, stride: stride, dilation: dilation, input: x),
                           border: .zero)
    }

    /// The elementwise activation a node computes, or nil for other operators. Clip takes its
    /// bounds from attributes before opset 11 and from optional inputs from 11 on.
    func activation(_ node: GraphNode, _ args: [Tensor?]) -> Activation? {
        switch node.op {
        case "Relu": return .relu
        case "LeakyRelu": return .leakyRelu(alpha: node.float("alpha", default: 0.01))
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "Clip":
            let lo = (args.count > 1 ? args[1] : nil)?.storage.first ?? node.float("min", default: -.greatestFiniteMagnitude)
            let hi = (args.count > 2 ? args[2] : nil)?.storage.first ?? node.float("max", default: .greatestFiniteMagnitude)
            return .clip(min: lo, max: hi)
        default: return nil
        }
    }

    func pair(_ v: [Int]?, default d: Int) -> Pair {
        guard let v, v.count >= 2 else { return Pair(both: v?.first ?? d) }
        return Pair(v[0], v[1])
    }

    /// ONNX pads are [y_begin, x_begin, y_end, x_end]. auto_pad SAME_* pads so that the output is
    /// ⌈n/s⌉ with total padding (⌈n/s⌉ − 1)·s + d(k − 1) + 1 − n; SAME_UPPER puts the odd cell at the end.
    func padding(_ node: GraphNode, kernel: Pair, stride: Pair, dilation: Pair, input: Tensor) throws -> Padding {
        let mode = node.string("auto_pad") ?? "NOTSET"
        switch mode {
        case "SAME_UPPER", "SAME_LOWER":
            guard let (_, h, w) = input.planeShape else { return .none }
            func split(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (n + s - 1) / s
                let total = max(0, (out - 1) * s + d * (k - 1) + 1 - n)
                return mode == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let (t, b) = split(h, kernel.y, stride.y, dilation.y), (l, r) = split(w, kernel.x, stride.x, dilation.x)
            return Padding(top: t, bottom: b, left: l, right: r)
        case "VALID": return .none
        case "NOTSET", "":
            guard let p = node.ints("pads"), !p.isEmpty else { return .none }
            guard p.count == 4 else { throw EngineError.invalidParameter("pads must have 4 values for a 2-D window, got \(p)") }
            // A padding far beyond any image would only exhaust memory.
            guard p.allSatisfy({ $0 >= 0 && $0 <= 16384 }) else {
                throw EngineError.invalidParameter("pads \(p) must lie between 0 and 16384")
            }
            return Padding(top: p[0], bottom: p[2], left: p[1], right: p[3])
        default:
            throw EngineError.invalidParameter("auto_pad '\(mode)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
    }

    /// Applies a [C, H, W] → [C', H', W'] function to each item of an [N, C, H, W] batch.
    func perImage(_ x: Tensor, _ f: (Tensor) throws -> Tensor) throws -> Tensor {
        guard x.rank == 4 else {
            if x.rank == 3 { return try f(x) }
            throw EngineError.shapeMismatch("a spatial layer needs an [N, C, H, W] input, got \(x.shape)")
        }
        let n = x.shape[0], per = x.shape.dropFirst().reduce(1, *)
        if n == 1 { let y = try f(x); return y.reshaped([1] + y.shape) }
        var parts: [Float] = [], shape: [Int] = []
        for b in 0..<n {
            let y = try f(Tensor(shape: Array(x.shape.dropFirst()), storage: Array(x.storage[(b * per)..<((b + 1) * per)])))
            parts.append(contentsOf: y.storage); shape = y.shape
        }
        return Tensor(shape: [n] + shape, storage: parts)
    }

    func constant(_ node: GraphNode) throws -> Tensor {
        if let t = node.attributes["value"]?.tensorValue { return t }
        if let f = node.attributes["value_float"]?.floatValue { return Tensor(shape: [], storage: [f]) }
        if let f = node.attributes["value_floats"]?.floatsValue { return Tensor(shape: [f.count], storage: f) }
        if let i = node.attributes["value_int"]?.intValue { return Tensor(shape: [], storage: [Float(i)]) }
        if let i = node.attributes["value_ints"]?.intsValue { return Tensor(shape: [i.count], storage: i.map(Float.init)) }
        throw EngineError.invalidParameter("Constant has no value, value_float(s) or value_int(s) attribute")
    }
}
