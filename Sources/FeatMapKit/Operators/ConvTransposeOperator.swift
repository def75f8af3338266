/// ConvTranspose: the transposed 2-D convolution (groups, strides, dilations, pads, auto_pad,
/// output_padding, output_shape), weights [C_in, C_out/group, kh, kw], on `Convolution.transposed`,
/// the same code that carries a Conv's gradient back to its input.
struct ConvTransposeOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "deconv" }

    /// Output size and the padding removed before (`head`) and after (`tail`) it, per axis.
    struct Geometry { var output: Pair; var head: Pair; var tail: Pair }

    /// ONNX's rule (and onnxruntime's ComputeTransposePadAndOutputShape): the full output is
    /// s·(n − 1) + output_padding + d·(k − 1) + 1 cells; pads cut it, or output_shape fixes it (pads then
    /// follow, the odd cell at the end, or at the start for SAME_UPPER), or SAME_* aims at n·s (the odd
    /// cell then at the end for SAME_UPPER, at the start for SAME_LOWER). Both splits checked against onnxruntime.
    static func geometry(_ node: GraphNode, input: Pair, kernel: Pair) throws -> Geometry {
        let stride = node.strides, dilation = node.dilations
        guard stride.y >= 1, stride.x >= 1, dilation.y >= 1, dilation.x >= 1 else {
            throw EngineError.invalidParameter("strides \(stride) and dilations \(dilation) must be at least 1")
        }
        let adjust = node.pair("output_padding", default: 0)
        let mode = node.string("auto_pad") ?? "NOTSET"
        guard ["NOTSET", "", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(mode) else {
            throw EngineError.invalidParameter("auto_pad '\(mode)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
        var wanted: [Int]? = nil
        if let shape = node.ints("output_shape"), !shape.isEmpty {
            guard shape.count >= 2 else { throw EngineError.invalidParameter("output_shape \(shape) needs the 2 spatial sizes") }
            wanted = Array(shape.suffix(2))
        }
        var pads = [0, 0, 0, 0]
        if mode == "NOTSET" || mode == "", let p = node.ints("pads"), !p.isEmpty {
            guard p.count == 4, p.allSatisfy({ $0 >= 0 && $0 <= 16384 }) else {
                throw EngineError.invalidParameter("pads must be 4 values between 0 and 16384 for a 2-D window, got \(p)")
            }
            pads = p
        }
        func axis(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ a: Int, _ before: Int, _ after: Int, _ out: Int?) throws -> (Int, Int, Int) {
            guard a >= 0, a < max(s, d) else {
                throw EngineError.invalidParameter("output_padding \(adjust) must be below the stride or the dilation")
            }
            let full = s * (n - 1) + a + d * (k - 1) + 1
            func split(_ total: Int) -> (Int, Int) { mode == "SAME_UPPER" ? (total - total / 2, total / 2) : (total / 2, total - total / 2) }
            if let out {
                let (h, t) = split(max(0, full - out))
                return (out, h, t)
            }
            if mode == "SAME_UPPER" || mode == "SAME_LOWER" {
                // Here onnxruntime puts the odd cell as Conv's SAME does: at the end for SAME_UPPER.
                let total = max(0, full - n * s)
                let (h, t) = mode == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
                return (full - h - t, h, t)
            }
            return (full - before - after, before, after)
        }
        let (oy, hy, ty) = try axis(input.y, kernel.y, stride.y, dilation.y, adjust.y, pads[0], pads[2], wanted?[0])
        let (ox, hx, tx) = try axis(input.x, kernel.x, stride.x, dilation.x, adjust.x, pads[1], pads[3], wanted?[1])
        guard oy >= 1, ox >= 1, oy <= 1 << 20, ox <= 1 << 20 else {
            throw EngineError.shapeMismatch("a transposed convolution of \(input.y)×\(input.x) with kernel \(kernel) gives \(oy)×\(ox); it must be at least 1×1")
        }
        return Geometry(output: Pair(oy, ox), head: Pair(hy, hx), tail: Pair(ty, tx))
    }

    /// (C_in, C_out, kernel) of the weights, checked against the input channels.
    static func weights(_ w: [Int], channels c: Int, groups: Int) throws -> (Int, Pair) {
        guard w.count == 4 else { throw EngineError.shapeMismatch("only 2-D transposed convolutions are supported; weights have shape \(w)") }
        guard groups >= 1, w[0] == c, c % groups == 0 else {
            throw EngineError.shapeMismatch("weights \(w) in \(groups) group(s) need \(w[0]) input channels (divisible by the groups), the input has \(c)")
        }
        return (w[1] * groups, Pair(w[2], w[3]))
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let w = try inputs.required(1), bias = inputs.optional(2)
        let groups = node.int("group", default: 1)
        return [try perImage(try inputs.required(0)) { image in
            guard let (c, h, wd) = image.planeShape else { throw EngineError.shapeMismatch("ConvTranspose input \(image.shape)") }
            let (cout, kernel) = try Self.weights(w.shape, channels: c, groups: groups)
            if let bias, bias.count != cout { throw EngineError.shapeMismatch("a bias of \(bias.count) values for \(cout) output channels") }
            let g = try Self.geometry(node, input: Pair(h, wd), kernel: kernel)
            return try Convolution.transposed(image.storage, channels: c, size: Pair(h, wd), weights: w, bias: bias?.storage,
                                              groups: groups, stride: node.strides, dilation: node.dilations,
                                              lead: g.head, output: g.output)
        }]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let (c, h, wd) = try ShapeRules.planes(x)
        let (cout, kernel) = try Self.weights(try inputs.shape(1), channels: c, groups: node.int("group", default: 1))
        return [try ShapeRules.spatial(x, channels: cout, size: try Self.geometry(node, input: Pair(h, wd), kernel: kernel).output)]
    }

    /// Output cell u receives input cell i when u = i·s + t·d − head for a tap t: the footprint is the
    /// range of such i. With stride 1 it is a window of span d(k − 1) + 1 (the field of a convolution
    /// padded by d(k − 1) − head); with stride > 1 neighbouring units share inputs unevenly.
    static func footprint(output m: Int, kernel k: Int, stride s: Int, dilation d: Int, head: Int) -> Footprint {
        Footprint(reach: (0..<m).map { u in
            let sources = (0..<k).compactMap { t -> Int? in
                let v = u + head - t * d
                return v % s == 0 ? v / s : nil   // exact division, negative v included
            }
            guard let lo = sources.min(), let hi = sources.max() else { return nil }
            return (lo, hi)
        })
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard node.inputs.count > 1, let w = context.graph.weights[node.inputs[1]], w.rank == 4 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its weights are not a constant 4-D tensor, so its window is unknown")
        }
        guard s.inputShape.count == 3 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its input is not a feature map (shape \(s.inputShape))")
        }
        let groups = node.int("group", default: 1)
        let (cout, kernel): (Int, Pair), g: Geometry
        do {
            (cout, kernel) = try Self.weights(w.shape, channels: s.inputShape[0], groups: groups)
            g = try Self.geometry(node, input: Pair(s.inputShape[1], s.inputShape[2]), kernel: kernel)
        } catch let e as EngineError {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: e.description)
        }
        let stride = node.strides, dilation = node.dilations
        s.groups = groups
        s.dilation = dilation
        s.multiplyAccumulates = s.inputShape.reduce(1, *) * (cout / max(1, groups)) * kernel.y * kernel.x
        s.recordFootprint(rows: Self.footprint(output: g.output.y, kernel: kernel.y, stride: stride.y, dilation: dilation.y, head: g.head.y),
                          columns: Self.footprint(output: g.output.x, kernel: kernel.x, stride: stride.x, dilation: dilation.x, head: g.head.x),
                          inputField: context.fields[node.inputs[0]] ?? .notSpatial,
                          why: "ConvTranspose with stride \(stride) spreads each input cell over \(stride) output cells, so neighbouring units read overlapping inputs unevenly and the jump is a fraction of a pixel")
        s.kernel = kernel
        s.stride = stride
    }

    /// The gradient of a transposed convolution with respect to its input is a plain convolution of
    /// the output gradient with the same weights (read in Conv's layout [C_in, C_out/group, kh, kw]),
    /// stride s, dilation d and the head padding in front.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), w = try context.input(1)
        guard let (c, h, wd) = x.planeShape else { throw EngineError.shapeMismatch("ConvTranspose input \(x.shape)") }
        let groups = node.int("group", default: 1)
        let (cout, kernel) = try Self.weights(w.shape, channels: c, groups: groups)
        let g = try Self.geometry(node, input: Pair(h, wd), kernel: kernel)
        let stride = node.strides, dilation = node.dilations
        let span = Pair(dilation.y * (kernel.y - 1) + 1, dilation.x * (kernel.x - 1) + 1)
        let padding = Padding(top: g.head.y, bottom: max(0, (h - 1) * stride.y + span.y - g.output.y - g.head.y),
                              left: g.head.x, right: max(0, (wd - 1) * stride.x + span.x - g.output.x - g.head.x))
        let conv = Convolution(weights: w, groups: groups, stride: stride, dilation: dilation, padding: padding)
        let d = try conv.applied(to: Tensor(shape: [cout, g.output.y, g.output.x], storage: context.gradient))
        let (dh, dw) = (d.shape[1], d.shape[2])
        var out = [Float](repeating: 0, count: c * h * wd)
        for ch in 0..<c { for y in 0..<min(h, dh) { for xx in 0..<min(wd, dw) {
            out[(ch * h + y) * wd + xx] = d.storage[(ch * dh + y) * dw + xx]
        } } }
        context.add(0, out)
    }
}
