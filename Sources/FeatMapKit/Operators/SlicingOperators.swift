/// Operators that take parts of a tensor along its axes: Slice, Split and Gather. All three copy
/// through `Tensor.indexed(by:)`; Slice and Split also cut feature maps on the data path (YOLO splits
/// its channels, detectors slice their maps).

/// Slice: a strided range on some axes. Opset 1…9 read `starts`, `ends` and `axes` attributes (step 1);
/// from 10 they are inputs, with optional `steps`, which may be negative. Indices follow onnx's
/// definition: negative ones count from the end, and starts and ends clamp to [0, n] for positive
/// steps and to [0, n − 1] and [−1, n − 1] for negative steps, so INT64_MAX and INT64_MIN mean
/// "to the end" either way.
struct SliceOperator: OperatorUnit {
    /// Opset 10's starts, ends, axes and steps inputs.
    var rangesAsInputs: Bool
    var role: OperatorRole { .featureMap }

    /// What the slice does to each axis of an input of `shape`: the index each output cell reads, the
    /// first index and the step.
    struct Plan {
        var sources: [[Int?]]
        var starts: [Int]
        var steps: [Int]
        var shape: [Int] { sources.map(\.count) }
    }

    static func plan(shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws -> Plan {
        let rank = shape.count
        guard starts.count == ends.count else { throw EngineError.invalidParameter("Slice has \(starts.count) starts but \(ends.count) ends") }
        let axes = try ShapeRules.axes(axes ?? Array(0..<starts.count), rank: rank)
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard axes.count == starts.count, steps.count == starts.count else {
            throw EngineError.invalidParameter("Slice's starts, ends, axes and steps must have the same length, got \(starts.count), \(ends.count), \(axes.count), \(steps.count)")
        }
        var plan = Plan(sources: Tensor.identityIndices(shape), starts: [Int](repeating: 0, count: rank), steps: [Int](repeating: 1, count: rank))
        for (k, a) in axes.enumerated() {
            let n = shape[a], step = steps[k]
            guard step != 0 else { throw EngineError.invalidParameter("Slice's step on axis \(a) is 0") }
            var s = starts[k] < 0 ? starts[k] + n : starts[k], e = ends[k] < 0 ? ends[k] + n : ends[k]
            if step > 0 {
                s = min(max(s, 0), n); e = min(max(e, 0), n)
            } else {
                s = min(max(s, 0), n - 1); e = min(max(e, -1), n - 1)
            }
            plan.sources[a] = Array(stride(from: s, to: e, by: step))
            plan.starts[a] = s
            plan.steps[a] = step
        }
        return plan
    }

    /// The plan from the node's attributes (before opset 10) or from the values of its inputs 1…4.
    func plan(_ node: GraphNode, shape: [Int], value: (Int) throws -> Tensor?) throws -> Plan {
        if rangesAsInputs {
            guard let starts = try value(1), let ends = try value(2) else { throw EngineError.invalidParameter("Slice needs starts and ends inputs") }
            return try Self.plan(shape: shape, starts: ShapeRules.integers(starts), ends: ShapeRules.integers(ends),
                                 axes: try value(3).map(ShapeRules.integers), steps: try value(4).map(ShapeRules.integers))
        }
        guard let starts = node.ints("starts"), let ends = node.ints("ends") else {
            throw EngineError.invalidParameter("Slice needs starts and ends attributes before opset 10")
        }
        return try Self.plan(shape: shape, starts: starts, ends: ends, axes: node.ints("axes"), steps: nil)
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        return [x.indexed(by: try plan(node, shape: x.shape) { inputs.optional($0) }.sources)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let names = ["", "starts", "ends", "axes", "steps"]
        return [try plan(node, shape: try inputs.shape(0)) { i in
            inputs.has(i) ? try inputs.requiredConstant(i, names[i]) : nil
        }.shape]
    }

    /// Over H and W with a positive step the output unit u is input unit start + u·step, which sees from
    /// (start + u·step)·S − P: the jump becomes S·step and the padding P − start·S. Other axes keep the
    /// field; a reversed H or W has no field of the form u·S − P.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let input = context.fields[node.inputs.first ?? ""] ?? .notSpatial
        guard s.outputShape.count == 3, let shape = context.layout(of: node.inputs[0]), shape.count >= 2 else { s.field = .notSpatial; return }
        let p = try plan(node, shape: shape) { i in i < node.inputs.count ? context.constant(node.inputs[i]) : nil }
        let h = shape.count - 2, w = shape.count - 1
        guard p.steps[h] > 0, p.steps[w] > 0 else { s.field = .notSpatial; return }
        guard case .spatial(let f) = input else { s.field = input; return }
        s.field = .spatial(ReceptiveField(size: f.size, jump: Pair(f.jump.y * p.steps[h], f.jump.x * p.steps[w]),
                                          padding: Pair(f.padding.y - p.starts[h] * f.jump.y, f.padding.x - p.starts[w] * f.jump.x)))
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        let p = try plan(node, shape: x.shape) { i in i < context.inputs.count ? context.inputs[i] : nil }
        context.add(0, Tensor.scatteredBack(context.gradient, into: x.shape, by: p.sources))
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// Split: consecutive parts along `axis`. The sizes are the `split` attribute before opset 13, an
/// optional input from 13; without them the parts are equal (one per output). From opset 18
/// `num_outputs` may give the count instead, each part ⌈n/count⌉ and the last one smaller.
struct SplitOperator: OperatorUnit {
    enum Sizes { case attribute, input, inputOrCount }
    var sizes: Sizes
    var role: OperatorRole { .featureMap }

    func parts(_ node: GraphNode, shape: [Int], split: Tensor?) throws -> (axis: Int, sizes: [Int]) {
        let axis = try ShapeRules.axis(node.int("axis", default: 0), rank: shape.count)
        let n = shape[axis], outputs = node.outputs.count
        var given: [Int]? = nil
        switch sizes {
        case .attribute: given = node.ints("split") ?? split.map(ShapeRules.integers)
        case .input, .inputOrCount: given = split.map(ShapeRules.integers)
        }
        if let given, !given.isEmpty {
            guard given.allSatisfy({ $0 >= 0 }), given.reduce(0, +) == n else {
                throw EngineError.invalidParameter("split sizes \(given) must be non-negative and add up to axis \(axis)'s size \(n)")
            }
            guard given.count == outputs else { throw EngineError.invalidParameter("split sizes \(given) give \(given.count) parts for \(outputs) outputs") }
            return (axis, given)
        }
        if sizes == .inputOrCount, let count = node.attributes["num_outputs"]?.intValue {
            guard count >= 1, count == outputs else { throw EngineError.invalidParameter("num_outputs \(count) differs from the node's \(outputs) outputs") }
            let chunk = (n + count - 1) / count
            let parts = (0..<count).map { min(chunk, max(0, n - $0 * chunk)) }
            return (axis, parts)
        }
        guard outputs >= 1, n % outputs == 0 else {
            throw EngineError.invalidParameter("axis \(axis) of size \(n) does not split into \(outputs) equal parts; give the split sizes")
        }
        return (axis, [Int](repeating: n / outputs, count: outputs))
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        let (axis, sizes) = try parts(node, shape: x.shape, split: inputs.optional(1))
        var start = 0, maps = Tensor.identityIndices(x.shape)
        return sizes.map { k in
            maps[axis] = Array(start..<(start + k))
            start += k
            return x.indexed(by: maps)
        }
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let shape = try inputs.shape(0)
        let split = inputs.has(1) ? try inputs.requiredConstant(1, "split sizes") : nil
        let (axis, sizes) = try parts(node, shape: shape, split: split)
        return sizes.map { var s = shape; s[axis] = $0; return s }
    }

    /// Each part's gradient goes back to the input cells it was cut from; a part none arrives at adds nothing.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        let (axis, sizes) = try parts(node, shape: x.shape, split: context.inputs.count > 1 ? context.inputs[1] : nil)
        var start = 0, maps = Tensor.identityIndices(x.shape)
        var total = [Float](repeating: 0, count: x.count)
        for (k, size) in sizes.enumerated() {
            maps[axis] = Array(start..<(start + size))
            start += size
            let g = k < context.outputGradients.count ? context.outputGradients[k] : (k == 0 ? context.gradient : nil)
            guard let g else { continue }
            let back = Tensor.scatteredBack(g, into: x.shape, by: maps)
            for j in total.indices { total[j] += back[j] }
        }
        context.add(0, total)
    }

    /// Parts along the channels (or the batch) see what the input saw. Along H or W each part starts
    /// elsewhere, so the outputs share no one field.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        let input = context.fields[node.inputs.first ?? ""] ?? .notSpatial
        guard let shape = context.layout(of: node.inputs[0]), shape.count >= 3 else { s.field = .notSpatial; return }
        let axis = try ShapeRules.axis(node.int("axis", default: 0), rank: shape.count)
        if axis >= shape.count - 2 { s.field = s.outputShape.count == 3 && input != .notSpatial ? .notAligned : .notSpatial; return }
        s.recordPointwise(inputField: input)
    }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// Gather: the entries of `data` along `axis` at the given indices (negative ones from the end);
/// the output's shape is data's with that axis replaced by the indices' shape.
struct GatherOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func sources(_ node: GraphNode, shape: [Int], indices: Tensor) throws -> (axis: Int, maps: [[Int?]], shape: [Int]) {
        let axis = try ShapeRules.axis(node.int("axis", default: 0), rank: shape.count)
        let n = shape[axis]
        let picked = try ShapeRules.integers(indices).map { i -> Int? in
            let j = i < 0 ? i + n : i
            guard j >= 0, j < n else { throw EngineError.invalidParameter("Gather index \(i) is outside axis \(axis) of size \(n)") }
            return j
        }
        var maps = Tensor.identityIndices(shape)
        maps[axis] = picked
        return (axis, maps, Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...]))
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        let g = try sources(node, shape: x.shape, indices: try inputs.required(1))
        return [x.indexed(by: g.maps).reshaped(g.shape)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0), i = try inputs.shape(1)
        let axis = try ShapeRules.axis(node.int("axis", default: 0), rank: x.count)
        return [Array(x[..<axis]) + i + Array(x[(axis + 1)...])]
    }

    /// Picking channels of feature maps keeps each cell where it is; any other gather loses the layout.
    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard let shape = context.layout(of: node.inputs[0]), shape.count >= 3, node.inputs.count > 1,
              let indices = context.layout(of: node.inputs[1]), indices.count == 1,
              (try? ShapeRules.axis(node.int("axis", default: 0), rank: shape.count)) == shape.count - 3 else {
            s.field = .notSpatial; return
        }
        s.recordPointwise(inputField: context.fields[node.inputs[0]] ?? .notSpatial)
    }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        let g = try sources(node, shape: x.shape, indices: try context.input(1))
        context.add(0, Tensor.scatteredBack(context.gradient, into: x.shape, by: g.maps))
    }
}
