/// Conv: 2-D convolution (cross-correlation, as ONNX defines it) with groups, stride, dilation and
/// padding, on the engine's one convolution core.
struct ConvOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "conv" }

    /// Each image runs as its own [C, H, W] convolution (`perImage`), with constant weights.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.onlyFirstCarries && view.shapes[0]?.count == 4 }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [try Self.convolved(node, input: try inputs.required(0), weights: try inputs.required(1), bias: inputs.optional(2))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0), w = try inputs.shape(1)
        guard w.count == 4 else { throw EngineError.shapeMismatch("only 2-D convolutions are supported; weights have shape \(w)") }
        let (c, h, wd) = try ShapeRules.planes(x)
        let groups = node.int("group", default: 1)
        guard groups >= 1, c == w[1] * groups, w[0] % groups == 0 else {
            throw EngineError.shapeMismatch("weights \(w) in \(groups) group(s) need \(w[1] * max(1, groups)) input channels, the input has \(c)")
        }
        let kernel = Pair(w[2], w[3]), stride = node.strides, dilation = node.dilations
        let padding = try node.windowPadding(kernel: kernel, stride: stride, dilation: dilation, height: h, width: wd)
        let size = try Convolution.outputSize(input: Pair(h, wd), kernel: kernel, stride: stride, dilation: dilation, padding: padding)
        return [try ShapeRules.spatial(x, channels: w[0], size: size)]
    }

    /// A Conv node's output for an [N, C, H, W] batch, with `activation` applied to each block as it is computed.
    /// Each image of a batch is the same [C, H, W] convolution, written straight into its place in the
    /// [N, O, Ho, Wo] output (the same computation as on that image alone).
    static func convolved(_ node: GraphNode, input x: Tensor, weights w: Tensor, bias: Tensor?, activation: Activation? = nil) throws -> Tensor {
        guard x.rank == 4, x.shape[0] > 1 else {
            return try perImage(x) { image in
                try convolution(node, weights: w, bias: bias, input: image).applied(to: image, activation: activation)
            }
        }
        let n = x.shape[0], sample = Array(x.shape.dropFirst()), per = sample.reduce(1, *)
        func image(_ b: Int) -> Tensor { Tensor(shape: sample, storage: Array(x.storage[(b * per)..<((b + 1) * per)])) }
        let first = image(0)
        let conv = try convolution(node, weights: w, bias: bias, input: first)
        let size = try conv.outputSize(checking: first)
        let out = conv.outputChannels * size.y * size.x
        var storage = LargeBuffer.uninitialized(n * out)
        try storage.withUnsafeMutableBufferPointer { dst in
            for b in 0..<n { try conv.apply(to: b == 0 ? first : image(b), into: dst.baseAddress! + b * out, activation: activation) }
        }
        return Tensor(shape: [n, conv.outputChannels, size.y, size.x], storage: storage)
    }

    /// The convolution a Conv node computes on one [C, H, W] image.
    static func convolution(_ node: GraphNode, weights w: Tensor, bias: Tensor?, input x: Tensor) throws -> Convolution {
        guard w.rank == 4 else { throw EngineError.shapeMismatch("only 2-D convolutions are supported; weights have shape \(w.shape)") }
        guard w.count > 0, x.count > 0 else {
            throw EngineError.shapeMismatch("convolution with empty weights \(w.shape) or input \(x.shape)")
        }
        let kernel = Pair(w.shape[2], w.shape[3])
        return convolution(node, weights: w, bias: bias,
                           padding: try node.windowPadding(kernel: kernel, stride: node.strides, dilation: node.dilations, input: x))
    }

    /// The convolution a Conv node computes on [C, H, W] images of `size` (its padding depends on the size
    /// only under auto_pad), for the channels-last pass, which has no [C, H, W] tensor to hand.
    static func convolution(_ node: GraphNode, weights w: Tensor, bias: Tensor?, size: Pair) throws -> Convolution {
        guard w.rank == 4, w.count > 0, size.y > 0, size.x > 0 else {
            throw EngineError.shapeMismatch("convolution with weights \(w.shape) on a \(size.y)×\(size.x) input")
        }
        let kernel = Pair(w.shape[2], w.shape[3])
        return convolution(node, weights: w, bias: bias,
                           padding: try node.windowPadding(kernel: kernel, stride: node.strides, dilation: node.dilations,
                                                           height: size.y, width: size.x))
    }

    private static func convolution(_ node: GraphNode, weights w: Tensor, bias: Tensor?, padding: Padding) -> Convolution {
        Convolution(weights: w, bias: bias?.storage, groups: node.int("group", default: 1), stride: node.strides,
                    dilation: node.dilations, padding: padding, border: .zero)
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard node.inputs.count > 1, let w = context.graph.weights[node.inputs[1]], w.rank == 4 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its weights are not a constant 4-D tensor, so its window is unknown")
        }
        let kernel = Pair(w.shape[2], w.shape[3])
        let groups = node.int("group", default: 1)
        s.groups = groups
        guard s.inputShape.count == 3 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its input is not a feature map (shape \(s.inputShape))")
        }
        let padding = try node.windowPadding(kernel: kernel, stride: node.strides, dilation: node.dilations,
                                             height: s.inputShape[1], width: s.inputShape[2])
        s.recordWindow(kernel: kernel, stride: node.strides, dilation: node.dilations, padding: padding,
                       inputField: context.fields[node.inputs[0]] ?? .notSpatial)
        if s.outputShape.count == 3 {
            s.multiplyAccumulates = s.outputShape.reduce(1, *) * kernel.y * kernel.x * (s.inputShape[0] / max(1, groups))
            let hasBias = node.inputs.count > 2 && !node.inputs[2].isEmpty
            s.weightSharing = WeightSharing(kernel: kernel, inputShape: s.inputShape, outputShape: s.outputShape,
                                            groups: groups, hasBias: hasBias)
        }
    }

    /// The gradient of a convolution with respect to its input is a transposed convolution
    /// (`Convolution.transposed`) of the output gradient through the same kernels.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), w = try context.input(1)
        guard let (_, h, wd) = x.planeShape, w.rank == 4 else { throw EngineError.shapeMismatch("convolution input \(x.shape)") }
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let stride = node.strides, dilation = node.dilations
        let p = try node.windowPadding(kernel: Pair(kh, kw), stride: stride, dilation: dilation, input: x)
        let out = try Convolution.outputSize(input: Pair(h, wd), kernel: Pair(kh, kw), stride: stride, dilation: dilation, padding: p)
        context.add(0, try Convolution.transposed(context.gradient, channels: o, size: out, weights: w,
                                                  groups: node.int("group", default: 1), stride: stride, dilation: dilation,
                                                  lead: Pair(p.top, p.left), output: Pair(h, wd)).storage)
    }
}
