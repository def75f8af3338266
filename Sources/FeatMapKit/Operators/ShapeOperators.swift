/// The operators of shape subgraphs that make values rather than move them: Shape, ConstantOfShape,
/// Range and Cast. Integers and booleans are stored as floats (see `Int(saturating:)`).

extension ShapeRules {
    /// An ONNX axis (negative counts from the end) as an index into a tensor of `rank` axes.
    static func axis(_ a: Int, rank: Int, _ what: String = "axis") throws -> Int {
        let n = a < 0 ? a + rank : a
        guard n >= 0, n < rank else { throw EngineError.invalidParameter("\(what) \(a) is outside a tensor of rank \(rank)") }
        return n
    }

    /// Several axes, each once.
    static func axes(_ list: [Int], rank: Int) throws -> [Int] {
        let n = try list.map { try axis($0, rank: rank) }
        guard Set(n).count == n.count else { throw EngineError.invalidParameter("axes \(list) name an axis twice") }
        return n
    }

    /// The integers a tensor holds (shapes, indices, axes).
    static func integers(_ t: Tensor) -> [Int] { t.storage.map(Int.init(saturating:)) }

    /// A shape read from a tensor: non-negative sizes only.
    static func sizes(_ t: Tensor, _ what: String) throws -> [Int] {
        let s = integers(t)
        guard s.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else { throw EngineError.invalidParameter("\(what) \(s) must hold sizes between 0 and 2^40") }
        return s
    }
}

/// Shape: the input's shape as a 1-D tensor. From opset 15 `start` and `end` (negative from the end,
/// clamped to the rank) pick a range of axes. It reads no values, so the subgraph that turns the shape
/// into a Reshape target folds at preparation.
struct ShapeOperator: OperatorUnit {
    /// Opset 15's start and end attributes.
    var readsRange: Bool
    var role: OperatorRole { .other }
    var readsOnlyShapes: Bool { true }

    func dims(_ node: GraphNode, _ shape: [Int]) -> [Int] {
        guard readsRange else { return shape }
        let r = shape.count
        func clamped(_ v: Int) -> Int { min(max(v < 0 ? v + r : v, 0), r) }
        let s = clamped(node.int("start", default: 0)), e = clamped(node.int("end", default: r))
        return s < e ? Array(shape[s..<e]) : []
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let d = dims(node, try inputs.required(0).shape)
        return [Tensor(shape: [d.count], storage: d.map(Float.init))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] { [[dims(node, try inputs.shape(0)).count]] }

    func valuesFromShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [Tensor]? {
        let d = dims(node, try inputs.shape(0))
        return [Tensor(shape: [d.count], storage: d.map(Float.init))]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.field = .notSpatial }

    func parameterCount(_ node: GraphNode, weights: [String: Tensor]) -> Int { 0 }
}

/// ConstantOfShape: a tensor of the shape its input holds, every value the one of the `value`
/// attribute (a one-element tensor; 0 by default).
struct ConstantOfShapeOperator: OperatorUnit {
    var role: OperatorRole { .other }

    func value(_ node: GraphNode) throws -> Float {
        guard let t = node.attributes["value"]?.tensorValue else { return 0 }
        guard t.count == 1 else { throw EngineError.invalidParameter("ConstantOfShape's value must hold one element, got shape \(t.shape)") }
        return t.storage[0]
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        [Tensor(shape: try ShapeRules.sizes(try inputs.required(0), "ConstantOfShape's shape"), repeating: try value(node))]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        [try ShapeRules.sizes(try inputs.requiredConstant(0, "shape"), "ConstantOfShape's shape")]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.field = .notSpatial }
}

/// Range: start, start + delta, … while before limit: max(⌈(limit − start)/delta⌉, 0) values.
struct RangeOperator: OperatorUnit {
    var role: OperatorRole { .other }

    /// The most values a Range may give: 2^24, the integers float32 (featmap's storage) holds exactly, and
    /// 64 MB. (It was 2^32: a fuzzed model folded a 16 GB Range at load, and shape inference built the
    /// values only to count them.)
    static let maximumCount = 1 << 24

    /// The number of values, checked, without building them.
    func count(_ start: Tensor, _ limit: Tensor, _ delta: Tensor) throws -> (count: Int, start: Double, delta: Double) {
        guard start.count == 1, limit.count == 1, delta.count == 1 else {
            throw EngineError.invalidParameter("Range's start, limit and delta must be scalars, got shapes \(start.shape), \(limit.shape), \(delta.shape)")
        }
        let s = Double(start.storage[0]), l = Double(limit.storage[0]), d = Double(delta.storage[0])
        guard d != 0, d.isFinite else { throw EngineError.invalidParameter("Range's delta must be finite and not 0, got \(d)") }
        let n = max(0, ((l - s) / d).rounded(.up))
        guard n <= Double(Self.maximumCount) else {
            throw EngineError.invalidParameter("Range from \(s) to \(l) by \(d) would give \(n < 1e15 ? String(Int(n)) : "\(n)") values, more than the \(Self.maximumCount) (2^24) featmap allows; check the model's start, limit and delta")
        }
        return (Int(n), s, d)
    }

    func values(_ start: Tensor, _ limit: Tensor, _ delta: Tensor) throws -> [Float] {
        let (n, s, d) = try count(start, limit, delta)
        return (0..<n).map { Float(s + Double($0) * d) }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let v = try values(try inputs.required(0), try inputs.required(1), try inputs.required(2))
        return [Tensor(shape: [v.count], storage: v)]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        [[try count(try inputs.requiredConstant(0, "start"), try inputs.requiredConstant(1, "limit"),
                    try inputs.requiredConstant(2, "delta")).count]]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws { s.field = .notSpatial }
}

/// Cast to the ONNX type `to` (a data-type number; a name such as "INT64" before opset 6). Values stay
/// float32 in storage: integer types truncate toward zero (and saturate), bool is x ≠ 0 as 0/1, float16
/// and bfloat16 round to their precision.
struct CastOperator: OperatorUnit {
    var role: OperatorRole { .other }

    enum Target { case float, half, bfloat, integer, boolean }

    func target(_ node: GraphNode) throws -> Target {
        var type = node.int("to", default: -1)
        if let name = node.string("to") {
            let names = ["FLOAT": 1, "UINT8": 2, "INT8": 3, "UINT16": 4, "INT16": 5, "INT32": 6, "INT64": 7, "BOOL": 9,
                         "FLOAT16": 10, "DOUBLE": 11, "UINT32": 12, "UINT64": 13, "BFLOAT16": 16]
            type = names[name.uppercased()] ?? -1
        }
        switch type {
        case 1, 11: return .float
        case 10: return .half
        case 16: return .bfloat
        case 2, 3, 4, 5, 6, 7, 12, 13: return .integer
        case 9: return .boolean
        default: throw EngineError.invalidParameter("Cast to ONNX type \(node.attributes["to"].map { "\($0)" } ?? "(none)") is not a number type featmap stores")
        }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        var x = try inputs.required(0)
        switch try target(node) {
        case .float: break
        case .half: x.storage = x.storage.map { HalfPrecision.float(fromBits: HalfPrecision.bits(from: $0)) }
        case .bfloat:
            // Round to nearest even on the upper 16 bits, as onnx's reference does.
            x.storage = x.storage.map { v in
                guard !v.isNaN else { return v }
                let b = v.bitPattern, rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
                return Float(bitPattern: rounded & 0xFFFF_0000)
            }
        case .integer: x.storage = x.storage.map { Float(Int(saturating: $0)) }
        case .boolean: x.storage = x.storage.map { $0 != 0 ? 1 : 0 }
        }
        return [x]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        _ = try target(node)
        return [try inputs.shape(0)]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        s.recordPointwise(inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    /// A cast between float types passes the gradient on (rounding aside); to integers it is 0 almost everywhere.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        switch try target(node) {
        case .float, .half, .bfloat: context.add(0, context.gradient)
        case .integer, .boolean: context.add(0, [Float](repeating: 0, count: context.gradient.count))
        }
    }
}
