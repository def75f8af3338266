/// A model's computation graph: operators in topological order, their learned tensors, and the
/// input and outputs. Values flow by name, as in ONNX.
public struct Graph: Sendable {
    public var nodes: [GraphNode]
    /// Learned tensors (and other constants) by name, widened to float32.
    public var weights: [String: Tensor]
    /// The storage type each weight had in its file ("F32", "F16", …), so a conversion can keep it.
    public var weightTypes: [String: String]
    public var inputName: String
    /// The declared input shape; −1 where the file leaves a dimension open.
    public var inputShape: [Int]
    public var outputs: [String]
    /// The ONNX operator-set version: a few operators (Softmax, Clip, Reshape) changed meaning across versions.
    public var opset: Int
    /// One readable name per node, in node order (see `Graph.readableNames`).
    public private(set) var layerNames: [String]
    /// The most activation memory a pass may need (`--max-memory`): a pass whose memory plan needs
    /// more is refused before anything is allocated. nil: no limit.
    public var memoryLimit: Int? = nil

    /// Builds a graph, sorts its nodes topologically and checks that every input has a producer.
    /// Constants computed from the file's tensors are refused, from their shapes, when one would need
    /// more than `memoryLimit` (nil: `Graph.defaultMemoryLimit`); the limit is then kept for the passes.
    public init(nodes: [GraphNode], weights: [String: Tensor], weightTypes: [String: String] = [:], inputName: String,
                inputShape: [Int], outputs: [String], opset: Int, file: String, memoryLimit: Int? = nil) throws {
        self.weights = weights
        self.weightTypes = weightTypes
        self.inputName = inputName
        self.inputShape = inputShape
        self.outputs = outputs
        self.opset = opset
        let sorted = try Graph.sorted(nodes, available: Set(weights.keys).union([inputName]), file: file)
        (self.nodes, self.weights) = try Graph.foldingConstants(sorted, weights: weights, inputName: inputName, opset: opset, file: file,
                                                                limit: memoryLimit ?? Graph.defaultMemoryLimit)
        self.memoryLimit = memoryLimit
        for name in self.weights.keys where weightTypes[name] == nil && weights[name] == nil { self.weightTypes[name] = "F32" }
        self.layerNames = Graph.readableNames(self.nodes, opset: opset)
    }

    /// Constant folding at load: a node none of whose inputs depends on the graph input (a Constant, a
    /// weight reshaped or transposed by a node, arithmetic on initializers) is evaluated once; its outputs
    /// become weights and the node leaves the graph, so it is never a layer. (The CNTK MNIST model begins
    /// by reshaping a weight.) Subgraphs that need the input's shape fold per input size, in `prepared`.
    static func foldingConstants(_ nodes: [GraphNode], weights: [String: Tensor], inputName: String, opset: Int,
                                 file: String, limit: Int = Int.max) throws -> ([GraphNode], [String: Tensor]) {
        var constants = weights
        var kept: [GraphNode] = []
        for node in nodes {
            let present = node.inputs.filter { !$0.isEmpty }
            guard present.allSatisfy({ constants[$0] != nil }), !present.contains(inputName),
                  let unit = OperatorRegistry.unit(for: node.op, opset: opset) else {
                kept.append(node)
                continue
            }
            let name = node.name.isEmpty ? (node.outputs.first ?? node.op) : node.name
            let inputs = node.inputs.map { $0.isEmpty ? nil : constants[$0] }
            if let (shape, bytes) = Graph.oversizedOutput(unit, node, ShapeInputs(shapes: inputs.map { $0?.shape }, constants: inputs, opset: opset), limit: limit) {
                throw ModelError.badGraph(file: file, reason: "node '\(name)' (\(node.op)) computes a constant of shape \(shape) from the file's tensors, which needs \(ByteCount(bytes)), more than --max-memory \(ByteCount(limit)); refused before allocating it — the model is damaged or needs a larger --max-memory")
            }
            let values: [Tensor]
            do {
                values = try unit.forward(node, OperatorInputs(values: inputs, opset: opset))
            } catch {
                throw ModelError.badGraph(file: file, reason: "node '\(name)' (\(node.op)) computes a constant from the file's tensors, and that fails: \((error as? EngineError)?.description ?? "\(error)")")
            }
            for (name, value) in zip(node.outputs, values) where !name.isEmpty { constants[name] = value }
        }
        return (kept, constants)
    }

    /// The shape and size in bytes (float32) of the largest output of `node`, from its shape rule, when
    /// they exceed `limit`; nil when they fit or the rule cannot tell.
    static func oversizedOutput(_ unit: any OperatorUnit, _ node: GraphNode, _ inputs: ShapeInputs, limit: Int) -> ([Int], Int)? {
        guard let shapes = try? unit.outputShapes(node, inputs) else { return nil }
        for shape in shapes {
            let bytes = byteCount(shape)
            if bytes > limit { return (shape, bytes) }
        }
        return nil
    }

    /// 4 bytes per element, saturating at Int.max (a negative dimension counts as none).
    static func byteCount(_ shape: [Int]) -> Int {
        var n = 4
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: max(0, d))
            if overflow { return Int.max }
            n = p
        }
        return n
    }

    /// Kahn's algorithm, keeping file order among ready nodes so that a valid file's order is kept: of the
    /// nodes whose inputs are all known, the one earliest in the file runs next (a min-heap of indices),
    /// so a chain of 100,000 nodes sorts in linear time and without recursion.
    static func sorted(_ nodes: [GraphNode], available: Set<String>, file: String) throws -> [GraphNode] {
        var known = available
        known.insert("")
        var waiting = [Int](repeating: 0, count: nodes.count)
        var readers: [String: [Int]] = [:]
        var ready = MinHeap()
        for (i, node) in nodes.enumerated() {
            let missing = Set(node.inputs).subtracting(known)
            waiting[i] = missing.count
            for name in missing { readers[name, default: []].append(i) }
            if missing.isEmpty { ready.push(i) }
        }
        var result: [GraphNode] = []
        result.reserveCapacity(nodes.count)
        var done = [Bool](repeating: false, count: nodes.count)
        while let i = ready.pop() {
            done[i] = true
            result.append(nodes[i])
            for name in nodes[i].outputs where known.insert(name).inserted {
                for j in readers.removeValue(forKey: name) ?? [] {
                    waiting[j] -= 1
                    if waiting[j] == 0 { ready.push(j) }
                }
            }
        }
        guard let first = done.firstIndex(of: false) else { return result }
        let node = nodes[first]
        let missing = node.inputs.first { !known.contains($0) } ?? "?"
        let producedLater = nodes.indices.contains { !done[$0] && nodes[$0].outputs.contains(missing) }
        if producedLater {
            throw ModelError.badGraph(file: file, reason: "the graph has a cycle through tensor '\(missing)'; featmap runs acyclic graphs only")
        }
        throw ModelError.missingTensor(file: file, tensor: missing, node: node.name.isEmpty ? "\(node.op) #\(result.count + 1)" : node.name)
    }

    /// The node's own name, else its first output's name, else — when either is empty or a bare
    /// number, as PyTorch exports write — a short operator name and its running index: conv1, relu1, pool1.
    static func readableNames(_ nodes: [GraphNode], opset: Int) -> [String] {
        var used = Set<String>()
        let generated = generatedNames(nodes, opset: opset)
        return nodes.enumerated().map { i, node in
            var name = generated[i]
            if isReadable(node.name) { name = node.name } else if let o = node.outputs.first, isReadable(o) { name = o }
            var unique = name, k = 2
            while used.contains(unique) { unique = "\(name)_\(k)"; k += 1 }
            used.insert(unique)
            return unique
        }
    }

    /// The registry unit's short name for each node's operator (its op type, lowercased, when featmap
    /// does not run it), with a running index: conv1, relu1, pool1.
    static func generatedNames(_ nodes: [GraphNode], opset: Int) -> [String] {
        var counters: [String: Int] = [:]
        return nodes.map { node in
            let stem = OperatorRegistry.unit(for: node.op, opset: opset)?.shortName(of: node.op) ?? node.op.lowercased()
            counters[stem, default: 0] += 1
            return "\(stem)\(counters[stem]!)"
        }
    }

    static func isReadable(_ s: String) -> Bool { !s.isEmpty && !s.allSatisfy { $0.isNumber } }

    /// Node index for a name the user typed: a readable name, the exporter's node name, an output
    /// name, or the generated operator+index name.
    public func nodeIndex(named name: String) throws -> Int {
        if let i = layerNames.firstIndex(of: name) { return i }
        if let i = nodes.firstIndex(where: { !$0.name.isEmpty && $0.name == name }) { return i }
        if let i = nodes.firstIndex(where: { $0.outputs.contains(name) }) { return i }
        if let i = Graph.generatedNames(nodes, opset: opset).firstIndex(of: name) { return i }
        throw ModelError.unknownLayer(name, available: layerNames)
    }

    /// Number of learned values a node reads (its weight and bias tensors).
    public func parameterCount(ofNode i: Int) -> Int {
        guard nodes.indices.contains(i) else { return 0 }
        let node = nodes[i]
        return operatorUnit(of: node)?.parameterCount(node, weights: weights) ?? node.inputs.reduce(0) { $0 + (weights[$1]?.count ?? 0) }
    }

    /// Whether `layers` shows the node by default: following the data path from the input (so not the
    /// nodes that compute shapes or transform weights), the feature-map layers (convolutions,
    /// activations, pooling, normalisation, joins) before the first node that destroys the spatial
    /// layout (Flatten, Reshape, Gemm, MatMul): each unit's `role` says which it is.
    public var defaultLayerIndices: [Int] {
        var result: [Int] = []
        let dataPath = dataPathNodes
        for (i, node) in nodes.enumerated() where dataPath.contains(i) {
            let role = operatorUnit(of: node)?.role ?? .other
            if role == .endsSpatialLayout { break }
            if role == .featureMap { result.append(i) }
        }
        return result
    }

    /// The graph cut after node `last`: later nodes and the weights only they use removed,
    /// the cut node's output becoming the graph output.
    public func truncated(after last: Int) throws -> Graph {
        let kept = Array(nodes.prefix(last + 1))
        let used = Set(kept.flatMap(\.inputs))
        var g = self
        g.nodes = kept
        g.weights = weights.filter { used.contains($0.key) }
        g.weightTypes = weightTypes.filter { used.contains($0.key) }
        g.outputs = kept.last?.outputs.prefix(1).map { $0 } ?? []
        g.layerNames = Array(layerNames.prefix(last + 1))
        return g
    }
}

/// Node indices, smallest first.
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ v: Int) {
        items.append(v)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] { items.swapAt(i, (i - 1) / 2); i = (i - 1) / 2 }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}
