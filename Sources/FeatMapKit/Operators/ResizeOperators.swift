import Foundation

/// Resize and Upsample: separable interpolation of H and W (nearest, linear, cubic) with every ONNX
/// coordinate_transformation_mode and nearest_mode, on the coefficient tables that preprocessing's
/// `Resampling` also applies. Arithmetic follows onnxruntime's CPU kernel (upsamplebase.h): source
/// coordinates in float32, linear interpolation between clamped coordinates, cubic taps clamped to the
/// edge (or dropped and renormalised with exclude_outside).
///
/// What changed across versions, one `Form` each:
/// - Upsample 7–8: scales as an attribute; 9: scales as input 2. Modes nearest and linear, coordinates
///   x / scale, nearest index truncated (rounded up when shrinking): onnxruntime's "simple" mode.
/// - Resize 10: as Upsample 9. 11–12: inputs roi, scales, sizes; coordinate_transformation_mode,
///   nearest_mode, cubic. 13–17: roi and scales optional. 18: axes, keep_aspect_ratio_policy, antialias
///   (`widenedTaps`, as onnx's reference and onnxruntime compute it). 19: half_pixel_symmetric.
struct ResizeOperator: OperatorUnit {
    enum Form: Int, Sendable, Comparable {
        case upsample7, upsample9, resize10, resize11, resize13, resize18, resize19
        static func < (a: Form, b: Form) -> Bool { a.rawValue < b.rawValue }
    }
    var form: Form

    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { op == "Upsample" ? "upsample" : "resize" }

    enum Mode: String { case nearest, linear, cubic }

    /// The attributes that decide each output cell's source coordinate and weights.
    struct Settings {
        var mode: Mode
        var transform: String
        var nearestMode: String
        var cubicA: Float
        var excludeOutside: Bool
        var extrapolation: Float
        /// Resize 18 on: a linear or cubic filter stretched by 1/scale where it shrinks.
        var antialias = false
    }

    /// Output size and per-axis scale of the four ONNX axes, before any table is built.
    struct Geometry {
        var input: [Int]
        var output: [Int]
        var scales: [Float]
    }

    /// Everything forward, backward and the field need: the tables along H and W.
    struct Plan {
        var geometry: Geometry
        var rows: Resampling.Coefficients, columns: Resampling.Coefficients
        /// tf_crop_and_resize: output rows and columns whose source lies outside the input.
        var rowsOutside: [Bool], columnsOutside: [Bool]
        var rowReach: Footprint, columnReach: Footprint
        var extrapolation: Float
    }

    // MARK: reading the node

    func settings(_ node: GraphNode) throws -> Settings {
        let modeName = node.string("mode") ?? "nearest"
        guard let mode = Mode(rawValue: modeName == "bilinear" ? "linear" : modeName) else {
            throw EngineError.invalidParameter("mode '\(modeName)' is not one of nearest, linear, cubic")
        }
        if form < .resize11 {
            guard mode != .cubic else { throw EngineError.invalidParameter("mode cubic needs Resize from opset 11") }
            return Settings(mode: mode, transform: "asymmetric", nearestMode: "simple", cubicA: -0.75,
                            excludeOutside: false, extrapolation: 0)
        }
        let transform = node.string("coordinate_transformation_mode") ?? "half_pixel"
        var known = ["half_pixel", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn", "align_corners", "tf_crop_and_resize"]
        if form >= .resize19 { known.append("half_pixel_symmetric") }
        guard known.contains(transform) else {
            throw EngineError.invalidParameter("coordinate_transformation_mode '\(transform)' is not one of \(known.joined(separator: ", ")) at this opset")
        }
        let nearestMode = node.string("nearest_mode") ?? "round_prefer_floor"
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw EngineError.invalidParameter("nearest_mode '\(nearestMode)' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil")
        }
        return Settings(mode: mode, transform: transform, nearestMode: nearestMode,
                        cubicA: node.float("cubic_coeff_a", default: -0.75),
                        excludeOutside: node.int("exclude_outside", default: 0) != 0,
                        extrapolation: node.float("extrapolation_value", default: 0),
                        antialias: form >= .resize18 && node.int("antialias", default: 0) != 0 && mode != .nearest)
    }

    /// Input positions of roi, scales and sizes (nil where the version has none).
    var inputSlots: (roi: Int?, scales: Int?, sizes: Int?) {
        switch form {
        case .upsample7: return (nil, nil, nil)
        case .upsample9, .resize10: return (nil, 1, nil)
        default: return (1, 2, 3)
        }
    }

    /// The output shape and scales for input shape `x` ([N, C, H, W], or [C, H, W] taken as N = 1).
    func geometry(_ node: GraphNode, shape x: [Int], scales: Tensor?, sizes: Tensor?) throws -> Geometry {
        let input = x.count == 3 ? [1] + x : x
        guard input.count == 4 else { throw EngineError.shapeMismatch("Resize needs an [N, C, H, W] input, got \(x)") }
        let rank = 4
        var axes = Array(0..<rank)
        if form >= .resize18, let a = node.ints("axes") {
            axes = try a.map { v in
                let k = v < 0 ? v + rank : v
                guard (0..<rank).contains(k) else { throw EngineError.invalidParameter("axes \(a) must lie in −4…3") }
                return k
            }
        }
        var scale = [Float](repeating: 1, count: rank), output = input
        let scaleValues: [Float]? = form == .upsample7 ? node.attributes["scales"]?.floatsValue : (scales.flatMap { $0.count > 0 ? $0.storage : nil })
        if let sizes, sizes.count > 0 {
            guard sizes.count == axes.count else {
                throw EngineError.invalidParameter("sizes has \(sizes.count) values for \(axes.count) axes")
            }
            let wanted = sizes.storage.map { Int(saturating: $0) }
            let policy = form >= .resize18 ? (node.string("keep_aspect_ratio_policy") ?? "stretch") : "stretch"
            switch policy {
            case "stretch":
                for (k, a) in axes.enumerated() {
                    output[a] = wanted[k]
                    scale[a] = Float(wanted[k]) / Float(input[a])
                }
            case "not_larger", "not_smaller":
                let ratios = axes.enumerated().map { Float(wanted[$0.offset]) / Float(input[$0.element]) }
                let s = (policy == "not_larger" ? ratios.min() : ratios.max()) ?? 1
                for a in axes {
                    scale[a] = s
                    output[a] = Int(saturating: (s * Float(input[a])).rounded())
                }
            default:
                throw EngineError.invalidParameter("keep_aspect_ratio_policy '\(policy)' is not one of stretch, not_larger, not_smaller")
            }
        } else if let v = scaleValues {
            guard v.count == axes.count else { throw EngineError.invalidParameter("scales has \(v.count) values for \(axes.count) axes") }
            for (k, a) in axes.enumerated() {
                guard v[k] > 0, v[k].isFinite else { throw EngineError.invalidParameter("scales \(v) must be positive") }
                scale[a] = v[k]
                output[a] = Int(saturating: v[k] * Float(input[a]))  // a huge scale is refused below, not a trap
            }
        } else {
            throw EngineError.invalidParameter("\(node.op) needs scales or sizes")
        }
        for a in 0..<2 where scale[a] != 1 || output[a] != input[a] {
            throw EngineError.invalidParameter("\(node.op) scales the \(a == 0 ? "batch" : "channel") axis (scale \(scale[a]), \(input[a]) → \(output[a])); featmap resizes only H and W, so that axis needs a scale of 1")
        }
        for a in 2..<4 where output[a] < 1 || output[a] > 1 << 20 {
            throw EngineError.invalidParameter("\(node.op) would make an axis of \(output[a]) cells from \(input[a]); it must lie between 1 and 1,048,576")
        }
        return Geometry(input: input, output: output, scales: scale)
    }

    /// The full plan: geometry plus the tables along H and W, roi read for tf_crop_and_resize.
    func plan(_ node: GraphNode, shape x: [Int], scales: Tensor?, sizes: Tensor?, roi: Tensor?) throws -> Plan {
        let g = try geometry(node, shape: x, scales: scales, sizes: sizes)
        let s = try settings(node)
        var box: [(Float, Float)] = [(0, 1), (0, 1), (0, 1), (0, 1)]
        if s.transform == "tf_crop_and_resize" {
            guard let roi, roi.count > 0 else { throw EngineError.invalidParameter("tf_crop_and_resize needs the roi input") }
            var axes = Array(0..<4)
            if form >= .resize18, let a = node.ints("axes") { axes = a.map { $0 < 0 ? $0 + 4 : $0 } }
            guard roi.count == 2 * axes.count else {
                throw EngineError.invalidParameter("roi has \(roi.count) values; it needs \(2 * axes.count) (starts, then ends)")
            }
            for (k, a) in axes.enumerated() { box[a] = (roi.storage[k], roi.storage[axes.count + k]) }
        }
        let (rows, rowsOut, rowReach) = Self.axis(input: g.input[2], output: g.output[2], scale: g.scales[2], box: box[2], s)
        let (cols, colsOut, colReach) = Self.axis(input: g.input[3], output: g.output[3], scale: g.scales[3], box: box[3], s)
        return Plan(geometry: g, rows: rows, columns: cols, rowsOutside: rowsOut, columnsOutside: colsOut,
                    rowReach: rowReach, columnReach: colReach, extrapolation: s.extrapolation)
    }

    // MARK: one axis

    /// The source coordinate of output cell `x` (onnxruntime's GetOriginalCoordinateFromResizedCoordinate, in float32).
    static func original(_ x: Float, scale: Float, input n: Int, output m: Int, box: (Float, Float), _ transform: String) -> Float {
        switch transform {
        case "half_pixel": return (x + 0.5) / scale - 0.5
        case "half_pixel_symmetric":
            let adjustment = Float(m) / (scale * Float(n))
            let offset = Float(n) / 2 * (1 - adjustment)
            return offset + (x + 0.5) / scale - 0.5
        case "pytorch_half_pixel": return m > 1 ? (x + 0.5) / scale - 0.5 : 0
        case "tf_half_pixel_for_nn": return (x + 0.5) / scale
        case "align_corners":
            // Whole and fractional parts apart, as onnxruntime does, so that 2·7/4 is 3.5, not 3.4999998.
            guard m > 1 else { return 0 }
            let k = Int(x) * (n - 1)
            return Float(k / (m - 1)) + Float(k % (m - 1)) / Float(m - 1)
        case "tf_crop_and_resize":
            return m > 1 ? box.0 * Float(n - 1) + x * (box.1 - box.0) * Float(n - 1) / Float(m - 1)
                         : 0.5 * (box.0 + box.1) * Float(n - 1)
        default:
            // When the scale is exactly m/n (sizes given) and not a whole number, onnxruntime takes
            // x·n/m in whole and fractional parts: 2·7/4 is then 3.5, where 2/(4/7) in float32 is 3.4999998.
            guard scale < 1 || scale.rounded(.down) != scale, Float(m) / Float(n) == scale else { return x / scale }
            let k = Int(x) * n
            return Float(k / m) + Float(k % m) / Float(m)
        }
    }

    /// The input index nearest to `x` under `mode` (before clamping).
    static func nearest(_ x: Float, mode: String, shrinking: Bool) -> Int {
        switch mode {
        case "round_prefer_floor":
            return x == Float(Int(x)) + 0.5 ? Int(x.rounded(.down)) : Int(x.rounded(.toNearestOrAwayFromZero))
        case "round_prefer_ceil": return Int(x.rounded(.toNearestOrAwayFromZero))
        case "floor": return Int(x.rounded(.down))
        case "ceil": return Int(x.rounded(.up))
        default: return shrinking ? Int(x.rounded(.up)) : Int(x)
        }
    }

    /// Keys's cubic convolution weights for the taps at −1, 0, 1, 2 around a point `r` ∈ [0, 1) past the tap at 0.
    static func cubicWeights(_ r: Float, a: Float) -> [Float] {
        let s = r + 1, t = 1 - r, u = 2 - r
        return [((a * s - 5 * a) * s + 8 * a) * s - 4 * a,
                ((a + 2) * r - (a + 3)) * r * r + 1,
                ((a + 2) * t - (a + 3)) * t * t + 1,
                ((a * u - 5 * a) * u + 8 * a) * u - 4 * a]
    }

    /// One axis of n cells resized to m: each output's contiguous window of weights (taps that clamping
    /// sends to the same edge cell added together), which outputs lie outside the crop box, and the
    /// unclamped footprint for the receptive field.
    static func axis(input n: Int, output m: Int, scale: Float, box: (Float, Float), _ s: Settings)
        -> (Resampling.Coefficients, [Bool], Footprint) {
        var starts: [Int] = [], weights: [[Float]] = [], outside: [Bool] = [], reach: [(first: Int, last: Int)?] = []
        let last = n - 1
        func clamp(_ i: Int) -> Int { min(max(i, 0), last) }
        for i in 0..<m {
            let x = original(Float(i), scale: scale, input: n, output: m, box: box, s.transform)
            if s.transform == "tf_crop_and_resize" && (x < 0 || x > Float(last)) {
                starts.append(0); weights.append([]); outside.append(true); reach.append(nil)
                continue
            }
            outside.append(false)
            var taps: [(Int, Float)] = []
            if s.antialias && scale < 1 {
                taps = widenedTaps(x, scale: scale, cubicA: s.mode == .cubic ? s.cubicA : nil, input: n, excludeOutside: s.excludeOutside)
                let used = taps.filter { $0.1 != 0 }.map(\.0)
                reach.append((used.min() ?? taps[0].0, used.max() ?? taps[0].0))
            } else {
                switch s.mode {
                case .nearest:
                    let k = nearest(x, mode: s.nearestMode, shrinking: scale < 1)
                    taps = [(k, 1)]
                case .linear:
                    let xc = min(max(x, 0), Float(last))
                    let i1 = min(Int(xc), last), i2 = min(i1 + 1, last)
                    var d1 = abs(xc - Float(i1)), d2 = abs(xc - Float(i2))
                    if i1 == i2 { d1 = 0.5; d2 = 0.5 }
                    taps = [(i1, d2), (i2, d1)]
                    let f = x.rounded(.down)
                    reach.append((Int(f), x > f ? Int(f) + 1 : Int(f)))
                case .cubic:
                    let f = x.rounded(.down), base = Int(f)
                    var w = cubicWeights(x - f, a: s.cubicA)
                    let nonzero = (0..<4).filter { w[$0] != 0 }
                    reach.append((base - 1 + (nonzero.first ?? 1), base - 1 + (nonzero.last ?? 1)))
                    if s.excludeOutside {
                        for t in 0..<4 where !(0...last).contains(base - 1 + t) { w[t] = 0 }
                        let total = w.reduce(0, +)
                        if total != 0 { w = w.map { $0 / total } }
                    }
                    taps = (0..<4).map { (base - 1 + $0, w[$0]) }
                }
            }
            if s.mode == .nearest { reach.append((taps[0].0, taps[0].0)) }
            let clamped = taps.map { (clamp($0.0), $0.1) }
            let first = clamped.map(\.0).min() ?? 0, lastTap = clamped.map(\.0).max() ?? 0
            var window = [Float](repeating: 0, count: lastTap - first + 1)
            for (k, v) in clamped { window[k - first] += v }
            starts.append(first); weights.append(window)
        }
        return (Resampling.Coefficients(start: starts, weights: weights), outside, Footprint(reach: reach))
    }

    /// Antialiased taps (Resize 18, onnx's reference `_linear_coeffs_antialias` / `_cubic_coeffs_antialias`):
    /// shrinking by `scale`, the triangle (support 1) or Keys cubic (support 2) is stretched to support/scale,
    /// so each output averages every input cell under it instead of sampling 2 or 4. Taps sit at the
    /// cells base + i for i from ⌊−support/scale⌋ + 1 on, an even count around `x` (at a whole `x`, base is
    /// x − 1 and its fraction 1, as the reference has it); weights are the filter at (i − fraction)·scale,
    /// normalised to sum 1, and with exclude_outside the taps off the axis are dropped and the rest renormalised.
    static func widenedTaps(_ x: Float, scale: Float, cubicA: Float?, input n: Int, excludeOutside: Bool) -> [(Int, Float)] {
        let xd = Double(x), s = Double(scale), f = xd.rounded(.down)
        let base = f == xd ? Int(f) - 1 : Int(f), fraction = f == xd ? 1 : xd - f
        let first = Int(((cubicA == nil ? -1 : -2) / s).rounded(.down)) + 1
        let count = 2 - 2 * first
        func filter(_ d: Double) -> Double {
            guard let a = cubicA.map(Double.init) else { return max(0, 1 - d) }
            if d <= 1 { return ((a + 2) * d - (a + 3)) * d * d + 1 }
            return d < 2 ? ((a * d - 5 * a) * d + 8 * a) * d - 4 * a : 0
        }
        var w = (0..<count).map { filter(abs(Double(first + $0) - fraction) * s) }
        let total = w.reduce(0, +)
        w = w.map { $0 / total }
        if excludeOutside {
            for j in 0..<count where !(0..<n).contains(base + first + j) { w[j] = 0 }
            let kept = w.reduce(0, +)
            if kept != 0 { w = w.map { $0 / kept } }
        }
        return (0..<count).map { (base + first + $0, Float(w[$0])) }
    }

    // MARK: the unit

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        let slots = inputSlots
        let p = try plan(node, shape: x.shape, scales: slots.scales.flatMap(inputs.optional),
                         sizes: slots.sizes.flatMap(inputs.optional), roi: slots.roi.flatMap(inputs.optional))
        return [try perImage(x) { image in
            var y = Resampling.resized(image, rows: p.rows, columns: p.columns)
            if p.rowsOutside.contains(true) || p.columnsOutside.contains(true) {
                let (c, h, w) = (y.shape[0], y.shape[1], y.shape[2])
                for ch in 0..<c { for r in 0..<h { for col in 0..<w where p.rowsOutside[r] || p.columnsOutside[col] {
                    y.storage[(ch * h + r) * w + col] = p.extrapolation
                } } }
            }
            return y
        }]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let slots = inputSlots
        func constant(_ slot: Int?, _ what: String) throws -> Tensor? {
            guard let slot, inputs.has(slot) else { return nil }
            return try inputs.requiredConstant(slot, what)
        }
        // Sizes, when present, decide the shape; scales only otherwise.
        let sizes = try constant(slots.sizes, "sizes")
        let scales = sizes.map { $0.count > 0 } == true ? nil : try constant(slots.scales, "scales")
        let g = try geometry(node, shape: x, scales: scales, sizes: sizes)
        return [x.count == 3 ? Array(g.output.dropFirst()) : g.output]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard s.inputShape.count == 3 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its input is not a feature map (shape \(s.inputShape))")
        }
        let slots = inputSlots
        func value(_ slot: Int?) -> Tensor? {
            guard let slot, slot < node.inputs.count, !node.inputs[slot].isEmpty else { return nil }
            return context.graph.weights[node.inputs[slot]]
        }
        let p: Plan
        do {
            p = try plan(node, shape: s.inputShape, scales: value(slots.scales), sizes: value(slots.sizes), roi: value(slots.roi))
        } catch let e as EngineError {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: e.description)
        }
        let g = p.geometry
        func factor(_ a: Int) -> String { "\(g.input[a]) → \(g.output[a])" }
        s.recordFootprint(rows: p.rowReach, columns: p.columnReach, inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial,
                          why: "\(node.op) resizes H \(factor(2)) and W \(factor(3)); where it enlarges, neighbouring units read the same input cells and the jump is a fraction of a pixel, so the units' fields do not step evenly")
    }

    /// The transpose of the forward tables: each output cell's gradient goes back to the cells it was
    /// interpolated from, with the same weights (nearest: all of it to the one source cell). Cells
    /// filled with extrapolation_value pass nothing back.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0)
        guard let (c, h, w) = x.planeShape else { throw EngineError.shapeMismatch("Resize input \(x.shape)") }
        let slots = inputSlots
        func input(_ slot: Int?) -> Tensor? { slot.flatMap { $0 < context.inputs.count ? context.inputs[$0] : nil } }
        let p = try plan(node, shape: x.shape, scales: input(slots.scales), sizes: input(slots.sizes), roi: input(slots.roi))
        var g = context.gradient
        let oh = p.rows.start.count, ow = p.columns.start.count
        for ch in 0..<c { for r in 0..<oh { for col in 0..<ow where p.rowsOutside[r] || p.columnsOutside[col] {
            g[(ch * oh + r) * ow + col] = 0
        } } }
        context.add(0, Resampling.spreadBack(g, channels: c, height: h, width: w, rows: p.rows, columns: p.columns))
    }
}
