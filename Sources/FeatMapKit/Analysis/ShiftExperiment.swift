import Foundation

/// How far translation invariance goes in a CNN, measured (`featmap shift`): the network input moved
/// in its own pixels — after resizing and cropping, before the mean/std normalisation — and each
/// layer compared with the unshifted pass.
///
/// - Equivariance error of a layer with jump J (its effective stride): ‖f(shift_d x) − shift_{d/J} f(x)‖ / ‖f(x)‖,
///   over the cells u whose fields, and the fields of u − d/J, lie inside the image (so neither sees
///   padding or filled pixels); the denominator is f(x) over the same cells. Defined only where d is a
///   multiple of J on every shifted axis (nil otherwise, and where no cell qualifies).
/// - Invariance error: ‖f(shift_d x) − f(x)‖ / ‖f(x)‖ over the whole map (nil when f(x) is all zero).
public enum ShiftFill: String, Sendable, Codable, CaseIterable {
    /// New pixels are 0 before normalisation (black).
    case zero
    /// New pixels repeat the edge pixel.
    case replicate
}

/// Which axes a shift d moves along: x (right for d > 0), y (down), or both (d along each, diagonally).
public enum ShiftAxis: String, Sendable, Codable, CaseIterable {
    case x, y, both

    /// The (dy, dx) of shift d.
    public func offset(_ d: Int) -> Pair {
        switch self {
        case .x: return Pair(0, d)
        case .y: return Pair(d, 0)
        case .both: return Pair(d, d)
        }
    }
}

/// A range of whole-pixel shifts A..B, parsed from "A..B" (or a single "D").
public struct ShiftRange: Sendable, Equatable {
    public var shifts: [Int]

    public init(_ lower: Int, _ upper: Int) { shifts = Array(lower...upper) }

    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.components(separatedBy: "..")
        let numbers = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (parts.count == 1 || parts.count == 2), numbers.allSatisfy({ $0 != nil }) else {
            throw ModelError.badInput("--by needs whole-pixel shifts A..B such as -4..4 (or one shift D), got '\(text)'")
        }
        let a = numbers[0]!, b = numbers.last!!
        guard a <= b else { throw ModelError.badInput("--by \(text): the range goes downwards; give the smaller shift first, e.g. \(b)..\(a)") }
        guard b - a <= 1000 else { throw ModelError.badInput("--by \(text): at most 1001 shifts, got \(b - a + 1)") }
        shifts = Array(a...b)
    }

    /// Refuses shifts that move the whole input out of a height × width image.
    public func check(axis: ShiftAxis, height: Int, width: Int) throws {
        for d in shifts {
            let o = axis.offset(d)
            if abs(o.x) >= width || abs(o.y) >= height {
                let (along, size) = abs(o.x) >= width ? ("x", width) : ("y", height)
                throw ModelError.badInput("--by: a shift of \(d) px along \(along) is larger than the input (\(size) px there, so nothing of it would stay); give shifts between \(-(size - 1)) and \(size - 1)")
            }
        }
    }
}

extension Tensor {
    /// Planes [C, H, W] moved by (dy, dx): out[y][x] = in[y − dy][x − dx]; content moves down/right for
    /// positive shifts, the size is kept, and the uncovered pixels are 0 (`.zero`) or the nearest edge
    /// pixel (`.replicate`).
    public func shifted(by d: Pair, fill: ShiftFill) -> Tensor {
        guard let (c, h, w) = planeShape else { return self }
        var out = [Float](repeating: 0, count: c * h * w)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c { for y in 0..<h {
                    var sy = y - d.y
                    if sy < 0 || sy >= h {
                        if fill == .zero { continue }
                        sy = min(max(sy, 0), h - 1)
                    }
                    for x in 0..<w {
                        var sx = x - d.x
                        if sx < 0 || sx >= w {
                            if fill == .zero { continue }
                            sx = min(max(sx, 0), w - 1)
                        }
                        dst[(ch * h + y) * w + x] = src[(ch * h + sy) * w + sx]
                    }
                } }
            }
        }
        return Tensor(shape: [c, h, w], storage: out)
    }
}

/// The errors of one layer's maps [C, H, W] under one shift.
public enum ShiftErrors {
    /// ‖shifted − shift_{d/J} original‖ / ‖original‖ over the cells whose fields (and those of the cells
    /// they are compared with) lie inside an inputHeight × inputWidth image; nil when d is not a multiple
    /// of the jump on a shifted axis, or no cell qualifies, or the original is zero there.
    public static func equivariance(original: Tensor, shifted: Tensor, shift d: Pair, field: ReceptiveField,
                                    inputHeight: Int, inputWidth: Int) -> Double? {
        guard let (c, h, w) = original.planeShape, shifted.shape == original.shape else { return nil }
        let J = field.jump
        guard J.y > 0, J.x > 0, d.y % J.y == 0, d.x % J.x == 0 else { return nil }
        let k = Pair(d.y / J.y, d.x / J.x)
        // Cells along one axis whose field lies inside [0, size − 1], as does the field of the cell k before.
        func inside(_ n: Int, jump: Int, padding: Int, size r: Int, k: Int, image: Int) -> [Int] {
            (0..<n).filter { u in
                let v = u - k
                guard v >= 0, v < n else { return false }
                let a = u * jump - padding, b = v * jump - padding
                return a >= 0 && a + r - 1 <= image - 1 && b >= 0 && b + r - 1 <= image - 1
            }
        }
        let rows = inside(h, jump: J.y, padding: field.padding.y, size: field.size.y, k: k.y, image: inputHeight)
        let cols = inside(w, jump: J.x, padding: field.padding.x, size: field.size.x, k: k.x, image: inputWidth)
        guard !rows.isEmpty, !cols.isEmpty else { return nil }
        var diff = 0.0, norm = 0.0
        for ch in 0..<c { for y in rows { for x in cols {
            let a = Double(shifted.storage[(ch * h + y) * w + x])
            let b = Double(original.storage[(ch * h + y - k.y) * w + x - k.x])
            diff += (a - b) * (a - b); norm += b * b
        } } }
        return norm > 0 ? (diff / norm).squareRoot() : nil
    }

    /// ‖shifted − original‖ / ‖original‖ over every value; nil when the original is all zero.
    public static func invariance(original: Tensor, shifted: Tensor) -> Double? {
        guard original.count == shifted.count else { return nil }
        var diff = 0.0, norm = 0.0
        for i in 0..<original.count {
            let a = Double(shifted.storage[i]), b = Double(original.storage[i])
            diff += (a - b) * (a - b); norm += b * b
        }
        return norm > 0 ? (diff / norm).squareRoot() : nil
    }
}

/// The most probable class of a network output and its probability, when the output is a vector of
/// class scores (one axis longer than 1): the output itself when it already is a distribution, else its softmax.
public struct TopClass: Sendable, Codable, Equatable {
    public var shift: Int
    /// The class index.
    public var index: Int
    /// The class name (the index as text when the model names none).
    public var name: String
    public var probability: Double

    enum CodingKeys: String, CodingKey { case shift, index = "class", name, probability }

    public init(shift: Int, index: Int, name: String, probability: Double) {
        self.shift = shift; self.index = index; self.name = name; self.probability = probability
    }

    /// (index, probability) of the top class of `output`, nil when it is not a class-score vector.
    public static func of(_ output: Tensor) -> (index: Int, probability: Float)? {
        guard output.count >= 2, output.shape.filter({ $0 > 1 }).count == 1 else { return nil }
        let v = output.storage
        var best = 0
        for i in v.indices where v[i] > v[best] { best = i }
        let sum = v.reduce(0, +)
        if v.allSatisfy({ $0 >= 0 && $0 <= 1 }) && abs(sum - 1) < 1e-3 { return (best, v[best]) }
        let top = v[best]
        let total = v.reduce(Float(0)) { $0 + Foundation.exp($1 - top) }
        return (best, 1 / total)
    }
}

/// `featmap shift MODEL INPUT`: every drawn layer's errors at each shift, and the top class.
public struct ShiftExperiment: Sendable, Codable {
    public struct Layer: Sendable, Codable, Equatable {
        public var index: Int
        public var name: String
        public var op: String
        /// The effective stride [y, x], nil when the layer has no regular field.
        public var jump: [Int]?
        /// Whether the layer is a convolution, a pooling layer or another (activations, concatenations).
        public var kind: Kind
        /// One value per shift, nil where undefined.
        public var equivarianceError: [Double?]
        public var invarianceError: [Double?]

        public enum Kind: String, Sendable, Codable { case conv, pool, other }

        public init(index: Int, name: String, op: String, jump: [Int]?, kind: Kind, equivarianceError: [Double?], invarianceError: [Double?]) {
            self.index = index; self.name = name; self.op = op; self.jump = jump; self.kind = kind
            self.equivarianceError = equivarianceError; self.invarianceError = invarianceError
        }

        enum CodingKeys: String, CodingKey {
            case index, name, op, jump, kind
            case equivarianceError = "equivariance_error", invarianceError = "invariance_error"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index); try c.encode(name, forKey: .name); try c.encode(op, forKey: .op)
            try c.encode(jump, forKey: .jump); try c.encode(kind, forKey: .kind)
            try c.encode(equivarianceError, forKey: .equivarianceError)
            try c.encode(invarianceError, forKey: .invarianceError)
        }
    }

    public var shifts: [Int]
    public var axis: ShiftAxis
    public var fill: ShiftFill
    public var layers: [Layer]
    /// The top class at each shift; empty when the model is not a classifier.
    public var top: [TopClass]

    enum CodingKeys: String, CodingKey { case shifts, axis, fill, layers, top }

    public init(shifts: [Int], axis: ShiftAxis, fill: ShiftFill, layers: [Layer], top: [TopClass]) {
        self.shifts = shifts; self.axis = axis; self.fill = fill; self.layers = layers; self.top = top
    }

    public static func kind(ofOp op: String) -> Layer.Kind {
        if op.contains("Conv") { return .conv }
        if op.contains("Pool") { return .pool }
        return .other
    }

    /// Runs `model` on the fitted planes (values 0…255 before normalisation, see `Preprocessing.fitted`)
    /// moved by each shift; `layers` are node indices (default: the graph's feature-map layers).
    /// `normalised: true` takes `fitted` as the network input itself (a .npy): shifted as it is, zero fill meaning 0.
    public init(model: Model, fitted: Tensor, shifts: ShiftRange, axis: ShiftAxis, fill: ShiftFill,
                layers selected: [Int]? = nil, normalised: Bool = false) throws {
        guard let (c, h, w) = fitted.planeShape else { throw ModelError.badInput("the input must be planes [C, H, W], got \(fitted.shape)") }
        try shifts.check(axis: axis, height: h, width: w)
        let graph = model.graph
        let chosen = selected ?? graph.defaultLayerIndices
        let analysis = try graph.analysed(channels: c, height: h, width: w)
        let wanted = Set(chosen)
        func run(_ planes: Tensor) throws -> (maps: [Int: Tensor], output: Tensor?) {
            var maps: [Int: Tensor] = [:]
            let result = graph.forward(normalised ? planes : try model.preprocessing.normalised(planes)) { layer in
                if wanted.contains(layer.index), let m = layer.featureMaps { maps[layer.index] = m }
            }
            if let stop = result.stoppedBy, maps.isEmpty { throw stop }
            return (maps, result.output)
        }
        let base = try run(fitted)
        let order = chosen.filter { base.maps[$0] != nil }
        var layers = order.map { i -> Layer in
            var jump: [Int]? = nil
            if case .spatial(let f)? = analysis.layer(atNode: i)?.field { jump = [f.jump.y, f.jump.x] }
            return Layer(index: i, name: graph.layerNames[i], op: graph.nodes[i].op, jump: jump,
                         kind: ShiftExperiment.kind(ofOp: graph.nodes[i].op), equivarianceError: [], invarianceError: [])
        }
        var top: [TopClass] = []
        for d in shifts.shifts {
            let offset = axis.offset(d)
            let moved = d == 0 ? base : try run(fitted.shifted(by: offset, fill: fill))
            for (n, i) in order.enumerated() {
                let original = base.maps[i]!
                guard let now = moved.maps[i] else {
                    layers[n].equivarianceError.append(nil); layers[n].invarianceError.append(nil); continue
                }
                var eq: Double? = nil
                if case .spatial(let f)? = analysis.layer(atNode: i)?.field {
                    eq = ShiftErrors.equivariance(original: original, shifted: now, shift: offset, field: f,
                                                  inputHeight: h, inputWidth: w)
                }
                layers[n].equivarianceError.append(eq)
                layers[n].invarianceError.append(ShiftErrors.invariance(original: original, shifted: now))
            }
            if let output = moved.output, let best = TopClass.of(output) {
                top.append(TopClass(shift: d, index: best.index, name: model.className(best.index), probability: Double(best.probability)))
            }
        }
        self.shifts = shifts.shifts
        self.axis = axis
        self.fill = fill
        self.layers = layers
        self.top = top.count == shifts.shifts.count ? top : []
    }

    /// One line of JSON, keys sorted.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
