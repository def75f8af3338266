import Foundation

/// One node's result in a forward pass.
public struct LayerActivation: Sendable {
    /// Position in the graph's node order.
    public var index: Int
    public var name: String
    public var op: String
    /// The node's first output in ONNX layout (e.g. [1, C, H, W]).
    public var output: Tensor
    public var parameters: Int
    public var milliseconds: Double
    /// Every output of the node, in order (a Split's parts); `output` is the first.
    public var outputs: [Tensor] = []

    /// The output as feature maps [C, H, W] when it has that form (batch of one, four axes).
    public var featureMaps: Tensor? {
        let s = output.shape
        if s.count == 4 && s[0] == 1 { return Tensor(shape: Array(s.dropFirst()), storage: output.storage) }
        if s.count == 3 { return output }
        return nil
    }
}

/// What a forward pass computed: the kept layers, the final output when it got there, and the
/// error that stopped it early otherwise.
public struct ForwardResult: Sendable {
    public var layers: [LayerActivation]
    /// The graph's first output, when the pass reached it.
    public var output: Tensor?
    /// Every graph output the pass reached, by name (a detector's several heads, a Split's parts).
    public var graphOutputs: [String: Tensor] = [:]
    public var stoppedBy: ModelError?
    public var totalMilliseconds: Double
    /// How many nodes ran.
    public var nodesRun: Int
}

extension Graph {
    /// Runs the graph on one input. `input` is [C, H, W] (or already in the declared layout); a
    /// batch axis of one is added when the graph declares four axes, whatever batch size it declares.
    /// Only the outputs of nodes for which `keep` is true are kept; other values are freed as soon
    /// as no later node needs them. The pass stops after node `last` when given.
    public func forward(_ input: Tensor, keep: (Int) -> Bool = { _ in false }, last: Int? = nil,
                        prepared: PreparedGraph? = nil) -> ForwardResult {
        var kept: [LayerActivation] = []
        var result = forward(input, last: last, prepared: prepared) { layer in if keep(layer.index) { kept.append(layer) } }
        result.layers = kept
        return result
    }

    /// Runs the graph and hands each node's result to `observe` as soon as it is computed, keeping
    /// nothing: memory stays at what the live intermediate tensors need, whatever the graph's length.
    /// An error thrown by `observe` stops the pass and is returned as `stoppedBy` when it is a `ModelError`.
    public func forward(_ input: Tensor, last: Int? = nil, prepared: PreparedGraph? = nil,
                        observe: (LayerActivation) throws -> Void) -> ForwardResult {
        run(input, last: last, plan: .none, prepared: prepared, observing: true, observe: observe)
    }

    /// Runs the graph for its output alone, as an inference engine does: no layer is observed, so each
    /// Conv runs with the activation that follows it folded in, and Convs that feed a channel Concat
    /// write into its buffer, and residual Adds and SiLUs run inside the Conv that feeds them (see
    /// `FusionPlan`). The output is `forward`'s, bit for bit except where a residual Add was folded
    /// (the same three numbers added in another order; tests hold it within 1e-5 of the largest value).
    /// `plan`, from `fusionPlan(last:)` with the same `last`, saves working it out again for each input of a batch.
    public func forwardFused(_ input: Tensor, last: Int? = nil, plan: FusionPlan? = nil, prepared: PreparedGraph? = nil) -> ForwardResult {
        run(input, last: last, plan: plan ?? fusionPlan(last: last), prepared: prepared, observing: false) { _ in }
    }

    /// What `forwardFused` folds together in a pass that stops after node `last`.
    public func fusionPlan(last: Int? = nil) -> FusionPlan {
        FusionPlan(self, end: min(last ?? nodes.count - 1, nodes.count - 1))
    }

    /// The input in the graph's layout: a batch axis of one added when the graph declares four axes.
    func laidOut(_ input: Tensor) -> Tensor {
        inputShape.count == 4 && input.rank == 3 ? input.reshaped([1] + input.shape) : input
    }

    /// The preparation for a pass on `input` through node `last`, refused before anything is allocated or
    /// written: when its memory plan needs more than `memoryLimit`, or when the first node that would run
    /// already fails its shape rule (so the pass could compute nothing).
    public func checkedPreparation(for input: Tensor, last: Int? = nil) throws -> PreparedGraph {
        // oneDNN is opened here rather than on a worker thread in the middle of the pass, so that a
        // missing library is one error before any output.
        try MatrixProduct.requireLibrary()
        let x = laidOut(input)
        let preparation = try prepared(inputShape: x.shape)
        var end = min(last ?? nodes.count - 1, nodes.count - 1)
        if let failure = preparation.failure, failure.node <= end {
            if !nodes.indices.contains(where: { $0 < failure.node && !preparation.foldedNodes.contains($0) }) { throw failure.error }
            end = failure.node - 1
        }
        let peak = peakActivationBytes(preparation, through: end)
        if let limit = memoryLimit, peak > limit {
            throw ModelError.badInput("this model on an input of \(x.shape) needs \(ByteCount(peak)) of activations at its peak, more than --max-memory \(ByteCount(limit)); use a smaller input, --upto an earlier layer, or a larger --max-memory")
        }
        return preparation
    }

    private func run(_ input: Tensor, last: Int?, plan: FusionPlan, prepared: PreparedGraph?, observing: Bool,
                     observe: (LayerActivation) throws -> Void) -> ForwardResult {
        Parallel.pooled { runNodes(input, last: last, plan: plan, prepared: prepared, observing: observing, observe: observe) }
    }

    private func runNodes(_ input: Tensor, last: Int?, plan: FusionPlan, prepared: PreparedGraph?, observing: Bool,
                          observe: (LayerActivation) throws -> Void) -> ForwardResult {
        let x = laidOut(input)
        let preparation: PreparedGraph
        var end = min(last ?? nodes.count - 1, nodes.count - 1)
        do {
            preparation = try prepared ?? self.prepared(inputShape: x.shape)
            if let failure = preparation.failure, failure.node <= end { end = failure.node - 1 }
            let peak = peakActivationBytes(preparation, through: end)
            if let limit = memoryLimit, peak > limit {
                throw ModelError.badInput("this model on an input of \(x.shape) needs \(ByteCount(peak)) of activations at its peak, more than --max-memory \(ByteCount(limit)); use a smaller input, --upto an earlier layer, or a larger --max-memory")
            }
        } catch let e as ModelError {
            return ForwardResult(layers: [], output: nil, stoppedBy: e, totalMilliseconds: 0, nodesRun: 0)
        } catch {
            return ForwardResult(layers: [], output: nil, stoppedBy: .badInput("\(error)"), totalMilliseconds: 0, nodesRun: 0)
        }
        var values: [String: Tensor] = preparation.constants
        values[inputName] = x
        // The channels-last versions ([N, H, W, C]) of values that channels-last Convs made or read; a
        // value another operator reads is turned back into `values` first.
        var lastValues: [String: Tensor] = [:]
        // Channel Concats of channels-last values left as their parts: a Conv reads the parts one by one
        // (`channelsLastConvolution`), ONNX layout is built from them in one pass; anything else joins them.
        var joined: [String: [Tensor]] = [:]
        func restore(_ names: [String]) {
            for name in names where !name.isEmpty && values[name] == nil {
                if let parts = joined[name] {
                    values[name] = ChannelsLast.back(joining: parts)
                } else if let t = lastValues[name] {
                    values[name] = ChannelsLast.back(t)
                }
            }
        }
        func join(_ names: [String]) {
            for name in names where lastValues[name] == nil {
                if let parts = joined[name] { lastValues[name] = ChannelsLast.joined(parts) }
            }
        }
        // Last reader of each value, so intermediate tensors are freed early.
        var lastUse: [String: Int] = [:]
        for (i, node) in nodes.enumerated() where i <= end { for name in node.inputs { lastUse[name] = i } }
        let outputSet = Set(outputs)
        let folded = plan.folded
        var buffers: [Int: ConcatBuffer] = [:]
        var total = 0.0, ran = 0
        var stop: ModelError? = nil
        for i in stride(from: 0, through: end, by: 1) where !preparation.foldedNodes.contains(i) {
            // A node in `foldedNodes` is a constant, computed when the graph was prepared: not a layer.
            let node = nodes[i]
            let started = DispatchTime.now().uptimeNanoseconds
            var results: [Tensor] = []
            do {
                var ranChannelsLast = false
                // A joined Concat read by anything but a Conv or another Concat is joined now.
                let joinedInputs = joined.isEmpty ? [] : node.inputs.filter { joined[$0] != nil }
                if !joinedInputs.isEmpty && !isConvolution(i) && !isConcatenation(i) { join(joinedInputs) }
                if !folded.contains(i), plan.channelsLast, isConvolution(i),
                   let result = try channelsLastConvolution(i, plan: plan, preparation: preparation, values: values,
                                                            lastValues: &lastValues, joined: joined, lastUse: lastUse, kept: outputSet) {
                    lastValues[result.name] = result.value
                    ranChannelsLast = true
                } else if !folded.contains(i), plan.channelsLast, buffers[i] == nil, let parts = channelsLastParts(i, lastValues: lastValues, joined: joined) {
                    joined[node.outputs[0]] = parts
                    ranChannelsLast = true
                } else if !folded.contains(i), plan.channelsLast, !isConvolution(i), buffers[i] == nil,
                          let result = try channelsLastNode(i, values: values, lastValues: &lastValues, lastUse: lastUse, kept: outputSet) {
                    if result.channelsLast { lastValues[node.outputs[0]] = result.value } else { results = [result.value] }
                    ranChannelsLast = true
                } else if !folded.contains(i) && !lastValues.isEmpty {
                    restore(node.inputs + (plan.residual[i].map { [$0.shortcut] } ?? []))
                }
                if folded.contains(i) || ranChannelsLast {
                    // Computed with its Conv, or channels-last.
                } else if plan.activation[i] != nil || plan.slot[i] != nil || plan.residual[i] != nil || plan.silu[i] != nil {
                    if let result = try fusedConvolution(i, plan: plan, values: values, buffers: &buffers) {
                        values[result.name] = result.value
                    }
                } else if let buffer = buffers.removeValue(forKey: i) {
                    results = [try buffer.concatenation(of: node.inputs, values: values)]
                } else if let source = node.inputs.first, lastUse[source] == i, source != inputName, !outputSet.contains(source),
                   isActivation(node), var t = values.removeValue(forKey: source) {
                    // An activation whose input nobody reads later works in place on that tensor.
                    let bounds = node.inputs.dropFirst().map { $0.isEmpty ? nil : (values[$0] ?? weights[$0]) }
                    guard let activation = activation(node, [nil] + bounds) else { throw ModelError.unsupportedOperator(node: layerNames[i], op: node.op) }
                    activation.apply(to: &t)
                    results = [t]
                } else {
                    let args = node.inputs.map { $0.isEmpty ? nil : (values[$0] ?? weights[$0]) }
                    results = try evaluate(node, index: i, args)
                }
            } catch let e as ModelError {
                stop = e; break
            } catch {
                stop = .layerFailed(node: layerNames[i], op: node.op, reason: "\(error)"); break
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            total += ms
            ran += 1
            for (name, value) in zip(node.outputs, results) where !name.isEmpty { values[name] = value }
            if observing, let first = results.first {
                do {
                    try observe(LayerActivation(index: i, name: layerNames[i], op: node.op, output: first,
                                                parameters: parameterCount(ofNode: i), milliseconds: ms, outputs: results))
                } catch let e as ModelError {
                    stop = e; break
                } catch {
                    stop = .layerFailed(node: layerNames[i], op: node.op, reason: "\(error)"); break
                }
            }
            for name in node.inputs where lastUse[name] == i && name != inputName && !outputSet.contains(name) {
                values[name] = nil
                lastValues[name] = nil
                joined[name] = nil
            }
        }
        if stop == nil, !lastValues.isEmpty || !joined.isEmpty {
            // The graph's outputs in ONNX layout, the last layout change timed as part of the pass.
            let started = DispatchTime.now().uptimeNanoseconds
            restore(outputs)
            total += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        }
        if stop == nil, let failure = preparation.failure, failure.node == end + 1, failure.node <= (last ?? nodes.count - 1) {
            stop = failure.error
        }
        let output = stop == nil ? outputs.first.flatMap { values[$0] ?? weights[$0] } : nil
        var result = ForwardResult(layers: [], output: output, stoppedBy: stop, totalMilliseconds: total, nodesRun: ran)
        if stop == nil { for name in outputs { result.graphOutputs[name] = values[name] ?? weights[name] } }
        return result
    }

    /// Runs Conv node `i` as `plan` says: with its activation folded in, and into its Concat's buffer
    /// when the input is a single image. Returns the value to store under its name, or nil when the
    /// result went into the buffer.
    private func fusedConvolution(_ i: Int, plan: FusionPlan, values: [String: Tensor],
                                  buffers: inout [Int: ConcatBuffer]) throws -> (name: String, value: Tensor)? {
        let node = nodes[i]
        func value(_ name: String) -> Tensor? { name.isEmpty ? nil : (values[name] ?? weights[name]) }
        let args = node.inputs.map(value)
        guard args.count >= 2, let x = args[0], let w = args[1] else {
            return try evaluate(node, index: i, args).first.map { (node.outputs[0], $0) }
        }
        let bias = args.count > 2 ? args[2] : nil
        let (activation, name) = epilogue(i, plan: plan, value: value)
        if let (j, shortcut) = plan.residual[i] {
            guard let addend = value(shortcut) else {
                throw EngineError.invalidParameter("input '\(shortcut)' of \(layerNames[j]) is missing")
            }
            let conv = try ConvOperator.convolution(node, weights: w, bias: bias, input: x)
            if x.rank == 4, x.shape[0] == 1, let size = try? conv.outputSize(checking: x),
               addend.shape == [1, conv.outputChannels, size.y, size.x] {
                let result = try conv.applied(to: x, adding: addend, activation: activation)
                return (name, result.reshaped(addend.shape))
            }
            // Another shape (a broadcast shortcut, a batch of several): the Conv, the Add and its
            // activation one after the other, as the plain pass runs them.
            let y = try ConvOperator.convolved(node, input: x, weights: w, bias: bias)
            let addArgs = nodes[j].inputs.map { $0 == node.outputs[0] ? y : value($0) }
            var s = try evaluate(nodes[j], index: j, addArgs)[0]
            activation?.apply(to: &s)
            return (name, s)
        }
        if let slot = plan.slot[i], x.rank == 4, x.shape[0] == 1 {
            let conv = try ConvOperator.convolution(node, weights: w, bias: bias, input: x)
            let size = try conv.outputSize(checking: x)
            let buffer = buffers[slot.concat] ?? ConcatBuffer(channels: plan.concatChannels[slot.concat]!, size: size)
            buffers[slot.concat] = buffer
            // A branch of another size cannot share the buffer; the Concat then reports the mismatch.
            if buffer.size == size {
                try buffer.write(name, channel: slot.channel, count: conv.outputChannels) { try conv.apply(to: x, into: $0, activation: activation) }
                return nil
            }
        }
        return (name, try ConvOperator.convolved(node, input: x, weights: w, bias: bias, activation: activation))
    }
}

extension Graph {
    /// Multiply-adds per image below which a Conv stays on the plain path, where a tiny convolution costs
    /// less than a primitive's call (memory descriptors, stream, one per band): LeNet's two (86 and 154
    /// thousand) stay there. Measured: `predict` over the 10,000 MNIST digits took 0.74 s with every Conv
    /// as a primitive, 0.44 s with this bound (0.40 s before the primitives). The smallest Conv of the
    /// eight whole CNNs of the benchmark that is not a squeeze-and-excitation one (MobileNet v2's last
    /// depthwise layers, 423 thousand) is above it.
    static let smallestChannelsLastConvolution = 1 << 18

    /// What Conv node `i` runs with under `plan`: the activation folded into it (SiLU included), and the
    /// name its result is stored under (the last folded node's output).
    fileprivate func epilogue(_ i: Int, plan: FusionPlan, value: (String) -> Tensor?) -> (activation: Activation?, name: String) {
        var activation: Activation? = nil
        var name = nodes[i].outputs[0]
        if let j = plan.activation[i] {
            activation = self.activation(nodes[j], [nil] + nodes[j].inputs.dropFirst().map(value))
            name = nodes[j].outputs[0]
        }
        if let pair = plan.silu[i] {
            activation = .silu
            name = nodes[pair.mul].outputs[0]
        }
        if let (j, _) = plan.residual[i], plan.activation[i] == nil { name = nodes[j].outputs[0] }
        return (activation, name)
    }

    /// Runs Conv node `i` on oneDNN's primitive on channels-last tensors (`ChannelsLastConvolution`), with
    /// what `plan` folds into it, and returns the channels-last value to store under its name. Nil when the
    /// node is not one the primitive runs (weights not constant, a broadcast shortcut, no primitive for its
    /// shape): the plain path runs it then. The shortcut of a residual Add that nothing reads later is
    /// summed into in place.
    /// When the input is a joined Concat (`channelsLastParts`), the convolution is the sum of one
    /// convolution per part over its slice of the weights' input channels (the bias with the first, the
    /// activation after the last): the Concat is never built.
    fileprivate func channelsLastConvolution(_ i: Int, plan: FusionPlan, preparation: PreparedGraph, values: [String: Tensor],
                                             lastValues: inout [String: Tensor], joined: [String: [Tensor]], lastUse: [String: Int],
                                             kept: Set<String>) throws -> (name: String, value: Tensor)? {
        let node = nodes[i]
        guard node.inputs.count >= 2, let source = node.inputs.first, !source.isEmpty else { return nil }
        if let parts = joined[source], lastValues[source] == nil {
            return try partsConvolution(i, parts: parts, plan: plan, preparation: preparation, values: values)
        }
        func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : (weights[name] ?? preparation.constants[name]) }
        guard let w = constant(node.inputs[1]), w.rank == 4 else { return nil }
        let bias = node.inputs.count > 2 ? constant(node.inputs[2]) : nil
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return nil }
        // The input's images, channels and size, from whichever layout holds it.
        let shape: (n: Int, c: Int, h: Int, w: Int)
        if let t = lastValues[source] {
            shape = (t.shape[0], t.shape[3], t.shape[1], t.shape[2])
        } else if let t = values[source], t.rank == 4 {
            shape = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        } else {
            return nil
        }
        let (activation, name) = epilogue(i, plan: plan, value: { values[$0] ?? constant($0) })
        if plan.activation[i] != nil && activation == nil { return nil }
        let residual = plan.residual[i]
        let conv = try ConvOperator.convolution(node, weights: w, bias: bias, size: Pair(shape.h, shape.w))
        // A small convolution (LeNet's) costs less on the plain path than a primitive's call.
        guard let size = try? conv.outputSize(height: shape.h, width: shape.w),
              size.y * size.x * w.shape[0] * w.shape[1] * w.shape[2] * w.shape[3] >= Self.smallestChannelsLastConvolution else { return nil }
        guard let primitive = preparation.channelsLastPlans.plan(for: i, {
            ChannelsLastConvolution(conv, channels: shape.c, size: Pair(shape.h, shape.w), activation: activation, sum: residual != nil)
        }), primitive.inputChannels == shape.c, primitive.inputSize == Pair(shape.h, shape.w) else { return nil }
        let out = primitive.outputSize, k = primitive.outputChannels
        let outShape = [shape.n, out.y, out.x, k]
        var destination: [Float]
        if let (j, shortcut) = residual {
            // The shortcut, channels-last, as the output's first contents.
            if lastValues[shortcut] == nil, let t = values[shortcut], t.shape == [shape.n, k, out.y, out.x] {
                lastValues[shortcut] = ChannelsLast.from(t)
            }
            guard lastValues[shortcut]?.shape == outShape else { return nil }
            // Summed into in place when nothing reads it later (no other reference, so no copy), else a copy.
            if lastUse[shortcut] == j, shortcut != inputName, shortcut != source, !kept.contains(shortcut), values[shortcut] == nil {
                destination = lastValues.removeValue(forKey: shortcut)!.storage
            } else {
                destination = lastValues[shortcut]!.storage
            }
        } else {
            destination = LargeBuffer.uninitialized(outShape.reduce(1, *))
        }
        let input: Tensor
        if let t = lastValues[source] {
            input = t
        } else {
            input = ChannelsLast.from(values[source]!)
            lastValues[source] = input
        }
        try input.storage.withUnsafeBufferPointer { src in
            try destination.withUnsafeMutableBufferPointer { dst in
                try primitive.run(images: shape.n, source: src.baseAddress!, destination: dst.baseAddress!)
            }
        }
        return (name, Tensor(shape: outShape, storage: destination))
    }

    /// Node `i` (a channel Concat) as its channels-last parts, left unjoined, when every input is
    /// channels-last (a joined one gives its own parts) and of one size, and every reader of its output is
    /// a Conv that can take the parts (`partsConvolution`) or needs ONNX layout anyway; nil otherwise.
    fileprivate func channelsLastParts(_ i: Int, lastValues: [String: Tensor], joined: [String: [Tensor]]) -> [Tensor]? {
        let node = nodes[i]
        guard isConcatenation(i), node.outputs.count == 1, [1, -3].contains(node.int("axis", default: 1)), !node.inputs.isEmpty else { return nil }
        var parts: [Tensor] = []
        for name in node.inputs {
            if let t = lastValues[name] { parts.append(t) } else if let p = joined[name] { parts += p } else { return nil }
        }
        let size = parts[0].shape.prefix(3)
        guard parts.allSatisfy({ $0.shape.prefix(3) == size }) else { return nil }
        let out = node.outputs[0]
        let readers = nodes.indices.filter { nodes[$0].inputs.contains(out) }
        guard !readers.isEmpty || outputs.contains(out) else { return nil }
        for r in readers {
            let reader = nodes[r]
            guard isConvolution(r), reader.inputs.first == out, !reader.inputs.dropFirst().contains(out),
                  reader.int("group", default: 1) == 1 else { return nil }
        }
        return parts
    }

    /// Conv node `i` on the parts of a joined Concat: one primitive per part, summed into one output.
    private func partsConvolution(_ i: Int, parts: [Tensor], plan: FusionPlan, preparation: PreparedGraph,
                                  values: [String: Tensor]) throws -> (name: String, value: Tensor)? {
        let node = nodes[i]
        func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : (weights[name] ?? preparation.constants[name]) }
        guard plan.residual[i] == nil, let w = constant(node.inputs[1]), w.rank == 4, node.int("group", default: 1) == 1 else { return nil }
        let bias = node.inputs.count > 2 ? constant(node.inputs[2]) : nil
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return nil }
        let (n, h, wd) = (parts[0].shape[0], parts[0].shape[1], parts[0].shape[2])
        guard parts.reduce(0, { $0 + $1.shape[3] }) == w.shape[1] else { return nil }
        let (activation, name) = epilogue(i, plan: plan, value: { values[$0] ?? constant($0) })
        if plan.activation[i] != nil && activation == nil { return nil }
        let (k, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        var primitives: [ChannelsLastConvolution] = []
        var offset = 0
        for (p, part) in parts.enumerated() {
            let c = part.shape[3], from = offset
            offset += c
            let made = preparation.channelsLastPlans.plan(for: -(i * 256 + p + 1)) {
                // The filters' input channels from..<from + c.
                var slice = [Float](repeating: 0, count: k * c * kh * kw)
                let taps = kh * kw, all = w.shape[1]
                for o in 0..<k {
                    for ch in 0..<c {
                        for t in 0..<taps { slice[(o * c + ch) * taps + t] = w.storage[(o * all + from + ch) * taps + t] }
                    }
                }
                let sliced = Tensor(shape: [k, c, kh, kw], storage: slice)
                guard let conv = try? ConvOperator.convolution(node, weights: sliced, bias: p == 0 ? bias : nil, size: Pair(h, wd)) else { return nil }
                return ChannelsLastConvolution(conv, channels: c, size: Pair(h, wd), activation: p == parts.count - 1 ? activation : nil, sum: p > 0)
            }
            guard let made, made.inputChannels == c, made.inputSize == Pair(h, wd) else { return nil }
            primitives.append(made)
        }
        let out = primitives[0].outputSize
        let outShape = [n, out.y, out.x, k]
        var destination = LargeBuffer.uninitialized(outShape.reduce(1, *))
        try destination.withUnsafeMutableBufferPointer { dst in
            for (part, primitive) in zip(parts, primitives) {
                try part.storage.withUnsafeBufferPointer { src in
                    try primitive.run(images: n, source: src.baseAddress!, destination: dst.baseAddress!)
                }
            }
        }
        return (name, Tensor(shape: outShape, storage: destination))
    }
}

/// A channel Concat's output, allocated when the first Conv that feeds it runs; the Convs write their
/// channels into it in place.
final class ConcatBuffer {
    let channels: Int
    let size: Pair
    private var storage: [Float]
    /// The values written in place, with their channel counts.
    private var written: [String: Int] = [:]

    init(channels: Int, size: Pair) {
        self.channels = channels
        self.size = size
        storage = LargeBuffer.uninitialized(channels * size.y * size.x)
    }

    /// Lets `body` write the `count` channels of value `name` from channel `channel` on.
    func write(_ name: String, channel: Int, count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        try storage.withUnsafeMutableBufferPointer { try body($0.baseAddress! + channel * size.y * size.x) }
        written[name] = count
    }

    /// The [1, C, H, W] concatenation of `inputs`. A part not written in place (its Conv ran on a batch
    /// of several images, or gave another size) is copied in after the checks of `Tensor.concatenated`.
    func concatenation(of inputs: [String], values: [String: Tensor]) throws -> Tensor {
        let plane = size.y * size.x
        var channel = 0
        for name in inputs {
            if let count = written[name] { channel += count; continue }
            guard let t = values[name] else { throw EngineError.invalidParameter("input '\(name)' of the concatenation is missing") }
            guard t.rank == 4, t.shape[0] == 1, t.shape[2] == size.y, t.shape[3] == size.x, channel + t.shape[1] <= channels else {
                throw EngineError.shapeMismatch("cannot concatenate shapes [1, \(channels), \(size.y), \(size.x)] and \(t.shape) along axis 1; the other axes must match")
            }
            storage.withUnsafeMutableBufferPointer { dst in
                t.storage.withUnsafeBufferPointer { (dst.baseAddress! + channel * plane).update(from: $0.baseAddress!, count: $0.count) }
            }
            channel += t.shape[1]
        }
        return Tensor(shape: [1, channels, size.y, size.x], storage: storage)
    }
}
