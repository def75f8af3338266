/// Attribute readings that several operator families share: window pairs, ONNX padding and the
/// per-image loop over a batch.
extension GraphNode {
    /// A 2-D attribute as (y, x): its two values, or one value for both, or `d` when absent.
    func pair(_ key: String, default d: Int) -> Pair {
        let v = ints(key)
        guard let v, v.count >= 2 else { return Pair(both: v?.first ?? d) }
        return Pair(v[0], v[1])
    }

    /// The window's stride and dilation attributes.
    var strides: Pair { pair("strides", default: 1) }
    var dilations: Pair { pair("dilations", default: 1) }

    /// A pooling node's 2-D `kernel_shape`.
    func poolingKernel() throws -> Pair {
        guard let k = ints("kernel_shape"), k.count == 2 else { throw EngineError.invalidParameter("pooling needs a 2-D kernel_shape") }
        return Pair(k[0], k[1])
    }

    /// ONNX pads are [y_begin, x_begin, y_end, x_end]. auto_pad SAME_* pads so that the output is
    /// ⌈n/s⌉ with total padding (⌈n/s⌉ − 1)·s + d(k − 1) + 1 − n; SAME_UPPER puts the odd cell at the end.
    func windowPadding(kernel: Pair, stride: Pair, dilation: Pair, height h: Int, width w: Int) throws -> Padding {
        let mode = string("auto_pad") ?? "NOTSET"
        switch mode {
        case "SAME_UPPER", "SAME_LOWER":
            func split(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (n + s - 1) / s
                let total = max(0, (out - 1) * s + d * (k - 1) + 1 - n)
                return mode == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let (t, b) = split(h, kernel.y, stride.y, dilation.y), (l, r) = split(w, kernel.x, stride.x, dilation.x)
            return Padding(top: t, bottom: b, left: l, right: r)
        case "VALID": return .none
        case "NOTSET", "":
            guard let p = ints("pads"), !p.isEmpty else { return .none }
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

    /// The same for an input tensor [C, H, W] or [N, C, H, W]; no padding when it has no planes.
    func windowPadding(kernel: Pair, stride: Pair, dilation: Pair, input: Tensor) throws -> Padding {
        let mode = string("auto_pad") ?? "NOTSET"
        if mode == "SAME_UPPER" || mode == "SAME_LOWER" {
            guard let (_, h, w) = input.planeShape else { return .none }
            return try windowPadding(kernel: kernel, stride: stride, dilation: dilation, height: h, width: w)
        }
        return try windowPadding(kernel: kernel, stride: stride, dilation: dilation, height: 0, width: 0)
    }

    /// The `Pooling` a MaxPool/AveragePool node applies to an input of `height` × `width`.
    func pooling(kind: Pooling.Kind, height: Int, width: Int) throws -> Pooling {
        let kernel = try poolingKernel(), stride = strides, dilation = dilations
        return Pooling(kind: kind, kernel: kernel, stride: stride,
                       padding: try windowPadding(kernel: kernel, stride: stride, dilation: dilation, height: height, width: width),
                       dilation: dilation, ceilMode: int("ceil_mode", default: 0) != 0,
                       countIncludePad: int("count_include_pad", default: 0) != 0)
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

extension LayerSummary {
    /// Records a window (convolution or pooling) and carries the input's field through it
    /// (see `ReceptiveField`: r ← r + (d(k − 1))·S, S ← S·s, P ← P + p·S).
    mutating func recordWindow(kernel: Pair, stride: Pair, dilation: Pair, padding: Padding, inputField: LayerField) {
        (self.kernel, self.stride, self.dilation, self.padding) = (kernel, stride, dilation, padding)
        if case .spatial(let f) = inputField {
            field = .spatial(f.through(kernel: kernel, stride: stride, dilation: dilation, before: Pair(padding.top, padding.left)))
        } else {
            field = inputField
        }
    }

    /// The field of an elementwise or joining node: the inputs' fields merged when they agree. Constant
    /// inputs (biases, scales) have no field and take no part, and neither does a 1×1 map broadcast over
    /// larger ones: a squeeze-and-excitation gate (MobileNet v3, EfficientNet, RegNetY) rescales each
    /// unit without moving its window, so the field is the window's; the gate's own layers show that it
    /// sees the whole input (and `rf --effective`, a gradient, counts its share).
    mutating func recordJoin(of inputs: [String], _ context: SummaryContext) {
        let out = outputShape
        func broadcastGate(_ name: String) -> Bool {
            guard out.count == 3, out[1...] != [1, 1], let x = context.shape(of: name) else { return false }
            return x.count == 3 && x[1...] == [1, 1]
        }
        let spatial = inputs.filter { context.fields[$0] != nil && !broadcastGate($0) }
        let joined = (spatial.isEmpty ? inputs : spatial).compactMap { context.fields[$0] }
        if outputShape.count != 3 || joined.contains(.notSpatial) {
            field = .notSpatial
        } else if let irregular = joined.first(where: { if case .irregular = $0 { return true }; return false }) {
            field = irregular
        } else if joined.contains(.notAligned) {
            field = .notAligned
        } else {
            field = ReceptiveField.merged(joined.compactMap(\.field)).map(LayerField.spatial) ?? .notAligned
        }
    }

    /// The field of a node that copies its input along the batch or channels (Expand, Tile): the input's
    /// when the maps keep their size, none when H or W were stretched or repeated.
    mutating func recordCopy(of input: String, _ context: SummaryContext) {
        if outputShape.count == 3, let x = context.shape(of: input), x.count == 3, x[1...] == outputShape[1...] {
            recordPointwise(inputField: context.fields[input] ?? .notSpatial)
        } else {
            field = .notSpatial
        }
    }

    /// The field of a node that keeps each cell where it is (activations, normalisation): its input's.
    mutating func recordPointwise(inputField: LayerField) {
        field = outputShape.count == 3 ? inputField : .notSpatial
    }
}
