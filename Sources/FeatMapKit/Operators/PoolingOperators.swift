/// MaxPool and AveragePool: a window sliding with stride, dilation, padding and ceil mode.
struct WindowPoolingOperator: OperatorUnit {
    var kind: Pooling.Kind
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "pool" }

    /// Each image pools on its own (`perImage`); MaxPool's Indices count from the batch's start, so not with them.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool {
        view.onlyFirstCarries && view.shapes[0]?.count == 4 && !wantsIndices(node)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        if x.rank == 4, x.shape[0] > 1, !wantsIndices(node) {
            // Every plane pools on its own, by the same code: a batch's N·C planes pool as one image's.
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let pooled = try node.pooling(kind: kind, height: h, width: w).applied(to: x.reshaped([n * c, h, w]))
            return [pooled.reshaped([n, c] + pooled.shape.dropFirst())]
        }
        let pooled = try perImage(x) { image in
            guard let (_, h, w) = image.planeShape else { throw EngineError.shapeMismatch("pooling input \(image.shape)") }
            return try node.pooling(kind: kind, height: h, width: w).applied(to: image)
        }
        guard wantsIndices(node) else { return [pooled] }
        return [pooled, try indices(node, x, shape: pooled.shape)]
    }

    /// MaxPool's optional second output, Indices.
    func wantsIndices(_ node: GraphNode) -> Bool { kind == .max && node.outputs.count > 1 && !node.outputs[1].isEmpty }

    /// For each output cell, where its maximum is in the flattened input: ((n·C + c)·H + y)·W + x, or with
    /// `storage_order` = 1 (column-major) (n·C + c)·H·W + x·H + y.
    func indices(_ node: GraphNode, _ x: Tensor, shape: [Int]) throws -> Tensor {
        let (c, h, w) = try ShapeRules.planes(x.shape)
        let batch = x.rank == 4 ? x.shape[0] : 1
        let pool = try node.pooling(kind: .max, height: h, width: w)
        let columnMajor = node.int("storage_order", default: 0) != 0
        var out: [Float] = []
        out.reserveCapacity(shape.reduce(1, *))
        for plane in 0..<(batch * c) {
            let base = plane * h * w
            for cell in try pool.winners(plane: x.storage[base..<(base + h * w)], height: h, width: w) {
                let at = cell ?? 0
                out.append(Float(base + (columnMajor ? (at % w) * h + at / w : at)))
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let (c, h, w) = try ShapeRules.planes(x)
        let out = try ShapeRules.spatial(x, channels: c, size: try node.pooling(kind: kind, height: h, width: w).outputSize(height: h, width: w))
        return wantsIndices(node) ? [out, out] : [out]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard s.inputShape.count == 3 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its input is not a feature map (shape \(s.inputShape))")
        }
        let pool = try node.pooling(kind: kind, height: s.inputShape[1], width: s.inputShape[2])
        s.recordWindow(kernel: pool.kernel, stride: pool.stride, dilation: pool.dilation, padding: pool.padding,
                       inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    /// Max pooling sends each output's gradient to the cell that won its window (the first maximum, as the
    /// forward pass picks it); average pooling shares it equally among the cells it divided by.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        guard let (c, h, w) = x.planeShape else { throw EngineError.shapeMismatch("pooling input \(x.shape)") }
        let pool = try node.pooling(kind: kind, height: h, width: w)
        context.add(0, try pool.inputGradient(context.gradient, input: Tensor(shape: [c, h, w], storage: x.storage)).storage)
    }
}

/// GlobalAveragePool and GlobalMaxPool: one value per channel, the window the whole map.
struct GlobalPoolingOperator: OperatorUnit {
    var kind: Pooling.Kind
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "pool" }

    /// Each image pools on its own (`perImage`).
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { view.onlyFirstCarries && view.shapes[0]?.count == 4 }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [try perImage(try inputs.required(0)) { kind == .average ? try Pooling.globalAverage(of: $0) : try Pooling.globalMaximum(of: $0) }]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        return [try ShapeRules.spatial(x, channels: try ShapeRules.planes(x).c, size: .one)]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let inputField = context.fields[node.inputs.first ?? ""] ?? .notSpatial
        if case .spatial(let f) = inputField, s.inputShape.count == 3 {
            let whole = Pair(s.inputShape[1], s.inputShape[2])
            s.kernel = whole
            s.field = .spatial(f.through(kernel: whole, stride: .one, before: Pair(0, 0)))
        } else {
            s.field = inputField
        }
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), g = context.gradient
        guard let (cc, hh, ww) = x.planeShape else { throw EngineError.shapeMismatch("global pooling of \(x.shape)") }
        let n = hh * ww
        var d = [Float](repeating: 0, count: x.count)
        for ch in 0..<cc {
            if kind == .average {
                for j in 0..<n { d[ch * n + j] = g[ch] / Float(n) }
            } else {
                let plane = x.storage[(ch * n)..<((ch + 1) * n)]
                if let best = plane.indices.max(by: { plane[$0] < plane[$1] || (plane[$0] == plane[$1] && $0 > $1) }) {
                    d[best] = g[ch]
                }
            }
        }
        context.add(0, d)
    }
}
