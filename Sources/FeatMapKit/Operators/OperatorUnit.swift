/// Everything featmap knows about one family of ONNX operators, in one type: its forward
/// computation, what `info` says about it (window, cost and its part in the receptive field), its
/// backward pass with respect to its inputs (for `rf --effective`), and how `layers` treats it.
/// `OperatorRegistry` maps each op type and opset range to its unit; nothing else in featmap
/// tests an operator's name.
protocol OperatorUnit: Sendable {
    /// How `layers` treats the node (drawn by default, ending the default selection, or neither).
    var role: OperatorRole { get }

    /// The stem of generated layer names: conv1, pool1, fc1, …
    func shortName(of op: String) -> String

    /// The node's outputs from its inputs.
    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor]

    /// The shapes of the node's outputs from its inputs' shapes, attributes and whichever inputs are
    /// constants (static shape inference, as onnx's schemas define it): the same shapes `forward` gives.
    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]]

    /// The node's outputs when they follow from its inputs' shapes alone (Shape), so that the subgraph
    /// computing a Reshape's target folds at load; nil for every other operator.
    func valuesFromShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [Tensor]?

    /// The node's window geometry, multiply-accumulates and receptive field: every unit says what
    /// happens to the field, so that a spatial operator never silently passes its input's on.
    func summarise(_ summary: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws

    /// Adds ∂(output · g)/∂input to the gradients of the inputs that carry one.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws

    /// The elementwise activation the node computes, when it is one: a Conv can apply it to each block
    /// of its output (`FusionPlan`) and the pass can run it in place.
    func activation(_ node: GraphNode, _ inputs: [Tensor?]) -> Activation?

    /// How many learned values the node reads: by default every value of its constant inputs.
    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int

    /// Whether the node reads only its input's shape, never its values (Shape): it starts no data path.
    var readsOnlyShapes: Bool { get }

    /// Whether the node, on a batch of samples stacked along axis 0 (`view`), computes each sample's
    /// part of its outputs from that sample's part of its inputs alone, by the same arithmetic, in the
    /// same order, as a pass on that sample alone, so that a batched pass gives each sample the same
    /// bits (`Graph.runsSamplesApart`). False unless the unit proves it: the default.
    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool
}

/// What `layers` does with an operator's nodes.
enum OperatorRole: Sendable {
    /// A feature-map layer drawn by default: convolution, activation, pooling, normalisation, joins.
    case featureMap
    /// Destroys the spatial layout (Flatten, Gemm, …): the default selection stops at the first one.
    case endsSpatialLayout
    /// Neither drawn by default nor ending the selection (pass-throughs, Transpose, Softmax).
    case other
    /// Computed from its attributes alone (Constant): a value, not a layer.
    case constant
}

extension OperatorUnit {
    func shortName(of op: String) -> String { op.lowercased() }

    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        throw EngineError.invalidParameter("the effective receptive field cannot be traced back through \(node.op); pick a layer before it")
    }

    func activation(_ node: GraphNode, _ inputs: [Tensor?]) -> Activation? { nil }

    func valuesFromShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [Tensor]? { nil }

    var readsOnlyShapes: Bool { false }

    func keepsSamplesApart(_ node: GraphNode, _ view: SampleView) -> Bool { false }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int {
        node.inputs.reduce(0) { $0 + (weights[$1]?.count ?? 0) }
    }
}

/// A node's input values as the forward pass hands them over: nil for an omitted optional input.
struct OperatorInputs {
    var values: [Tensor?]
    /// The graph's operator-set version: some operators changed meaning across versions.
    var opset: Int

    var count: Int { values.count }

    /// Input `i`, which must be there.
    func required(_ i: Int) throws -> Tensor {
        guard i < values.count, let t = values[i] else { throw EngineError.invalidParameter("input \(i + 1) is missing") }
        return t
    }

    /// Input `i`, or nil when the node omits it.
    func optional(_ i: Int) -> Tensor? { i < values.count ? values[i] : nil }

    /// Every input, each of which must be there.
    func all() throws -> [Tensor] { try (0..<values.count).map(required) }
}

/// A node's inputs and outputs in a pass on `batch` samples stacked along axis 0, as
/// `OperatorUnit.keepsSamplesApart` sees them.
struct SampleView {
    /// Samples in the batch.
    var batch: Int
    /// Each input's shape in the batched pass; nil for an omitted input.
    var shapes: [[Int]?]
    /// Whether each input is on the data path (computed from the graph input, so one part per sample);
    /// false for a constant.
    var carried: [Bool]
    /// Whether each constant input has the same value in a pass on one sample (a Reshape's target
    /// computed from the input's shape does not); true for the data inputs.
    var sameAlone: [Bool]
    /// The node's output shapes in the batched pass.
    var outputs: [[Int]]
    var opset: Int

    /// Input `i` is on the data path with the batch as its first axis.
    func isBatched(_ i: Int) -> Bool {
        i < shapes.count && carried[i] && shapes[i]?.first == batch
    }

    /// Every output has the batch as its first axis.
    var outputsBatched: Bool { outputs.allSatisfy { $0.first == batch } }

    /// Only input 0 is on the data path, batched; the others are constants that a pass on one sample
    /// also has; the outputs are batched.
    var onlyFirstCarries: Bool {
        isBatched(0) && (1..<shapes.count).allSatisfy { !carried[$0] && sameAlone[$0] } && outputsBatched
    }

    /// An elementwise join: every data input batched, of the output's rank; every constant input the same
    /// alone and broadcast without reaching axis 0 (a lower rank, or 1 there); the output batched.
    var broadcastsApart: Bool {
        guard outputsBatched, let rank = outputs.first?.count else { return false }
        return shapes.indices.allSatisfy { i in
            guard let s = shapes[i] else { return true }
            return carried[i] ? isBatched(i) && s.count == rank : sameAlone[i] && (s.count < rank || s.first == 1)
        }
    }

    /// A pure layout change of input 0 (the same values in the same order): each sample's block stays
    /// whole and in place when input and outputs keep the batch as their first axis.
    var keepsBlocks: Bool { isBatched(0) && (1..<shapes.count).allSatisfy { !carried[$0] } && outputsBatched }
}

/// What shape inference knows of a node's inputs: every present input's shape, and the values of
/// those that are constants (initializers and folded subgraphs).
struct ShapeInputs {
    /// nil for an omitted optional input.
    var shapes: [[Int]?]
    var constants: [Tensor?]
    var opset: Int

    var count: Int { shapes.count }

    func shape(_ i: Int) throws -> [Int] {
        guard i < shapes.count, let s = shapes[i] else { throw EngineError.invalidParameter("input \(i + 1) is missing") }
        return s
    }

    func has(_ i: Int) -> Bool { i < shapes.count && shapes[i] != nil }

    /// Input `i`'s value, when it is known before the pass runs.
    func constant(_ i: Int) -> Tensor? { i < constants.count ? constants[i] : nil }

    /// Input `i`'s value, which the output shape depends on, so it must be known before the pass runs.
    func requiredConstant(_ i: Int, _ what: String) throws -> Tensor {
        guard let t = constant(i) else {
            throw EngineError.invalidParameter("its \(what) (input \(i + 1)) is computed from the activations, so its output shape is unknown before the pass runs; featmap needs it to be a constant")
        }
        return t
    }
}

/// Shape arithmetic that several units share.
enum ShapeRules {
    /// The output of a window layer on an [N, C, H, W] or [C, H, W] input: `channels` maps of `size`.
    static func spatial(_ input: [Int], channels: Int, size: Pair) throws -> [Int] {
        switch input.count {
        case 4: return [input[0], channels, size.y, size.x]
        case 3: return [channels, size.y, size.x]
        default: throw EngineError.shapeMismatch("a spatial layer needs an [N, C, H, W] input, got \(input)")
        }
    }

    /// (C, H, W) of an [N, C, H, W] or [C, H, W] shape.
    static func planes(_ shape: [Int]) throws -> (c: Int, h: Int, w: Int) {
        switch shape.count {
        case 4: return (shape[1], shape[2], shape[3])
        case 3: return (shape[0], shape[1], shape[2])
        default: throw EngineError.shapeMismatch("a spatial layer needs an [N, C, H, W] input, got \(shape)")
        }
    }

    /// NumPy broadcasting of any number of shapes.
    static func broadcast(_ shapes: [[Int]]) throws -> [Int] {
        guard var out = shapes.first else { throw EngineError.invalidParameter("no inputs") }
        for s in shapes.dropFirst() {
            guard let b = Elementwise.broadcastShape(out, s) else {
                throw EngineError.shapeMismatch("shapes \(out) and \(s) do not broadcast; each axis must match or be 1")
            }
            out = b
        }
        return out
    }
}

/// What a unit's `summarise` may look at: the shapes and fields known so far, by value name.
struct SummaryContext {
    var graph: Graph
    /// [C, H, W] of feature maps, the raw shape otherwise, for every value computed so far.
    var shapes: [String: [Int]]
    var fields: [String: LayerField]
    /// Every value's shape in the graph's own layout (with its batch axis), from shape inference.
    var layouts: [String: [Int]] = [:]
    /// The values folded at preparation (Constant nodes, shape subgraphs), by name.
    var constants: [String: Tensor] = [:]

    func shape(of name: String) -> [Int]? { shapes[name] ?? graph.weights[name]?.shape }

    /// A value known before the pass runs (an initializer or a folded constant): a Slice's starts, a Pad's pads.
    func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : (constants[name] ?? graph.weights[name]) }

    /// A value's shape in the graph's layout ([N, C, H, W] where the graph declares four axes).
    func layout(of name: String) -> [Int]? { layouts[name] ?? graph.weights[name]?.shape }

    /// The same as `constant(_:)`.
    func constant(of name: String) -> Tensor? { constant(name) }
}

/// One node's step of the backward pass: its inputs and output as the forward pass computed them,
/// the gradient arriving at its output, and the gradients it passes on.
struct BackwardContext {
    var label: String
    /// The node's inputs (activations and constants), nil where absent.
    var inputs: [Tensor?]
    /// Which inputs are activations, and so carry a gradient (constants do not).
    var carriesGradient: [Bool]
    /// The node's (first) output.
    var output: Tensor
    /// ∂/∂output, shaped like `output`.
    var gradient: [Float]
    /// ∂/∂ each output, in the node's output order, nil where none arrives (a Split's parts); the first
    /// is `gradient` when it arrives.
    var outputGradients: [[Float]?] = []
    /// ∂/∂input by input index, filled in by the unit.
    var inputGradients: [Int: [Float]] = [:]

    func input(_ k: Int) throws -> Tensor {
        guard k < inputs.count, let v = inputs[k] else { throw EngineError.invalidParameter("input \(k + 1) is missing") }
        return v
    }

    func carries(_ k: Int) -> Bool { k < carriesGradient.count && carriesGradient[k] }

    /// Adds `d` to input `k`'s gradient when that input carries one.
    mutating func add(_ k: Int, _ d: [Float]) {
        guard carries(k) else { return }
        if var acc = inputGradients[k] {
            for j in acc.indices { acc[j] += d[j] }
            inputGradients[k] = acc
        } else {
            inputGradients[k] = d
        }
    }
}
