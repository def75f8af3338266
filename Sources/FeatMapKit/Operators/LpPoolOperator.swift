import Foundation

/// LpPool: (Σ |x|^p)^(1/p) over a sliding window (kernel_shape, strides, pads, auto_pad; dilations and
/// ceil_mode from opset 18), padding cells counting as zeros. On the pooling engine: the average of
/// |x|^p over the window's image cells (`Pooling` without count_include_pad) times their count.
struct LpPoolOperator: OperatorUnit {
    var role: OperatorRole { .featureMap }
    func shortName(of op: String) -> String { "pool" }

    /// p: a float attribute in opset 1, an integer from 2 on; both read the same.
    func exponent(_ node: GraphNode) throws -> Float {
        let p = node.float("p", default: 2)
        guard p > 0, p.isFinite else { throw EngineError.invalidParameter("LpPool needs p > 0, got \(p)") }
        return p
    }

    /// The number of image cells (not padding) in each output's window along one axis.
    static func taps(output m: Int, input n: Int, kernel k: Int, stride s: Int, dilation d: Int, before: Int) -> [Int] {
        (0..<m).map { o in (0..<k).filter { t in (0..<n).contains(o * s - before + t * d) }.count }
    }

    /// Per output cell of one plane, how many image cells its window covers.
    static func counts(_ pool: Pooling, height h: Int, width w: Int) throws -> [Float] {
        let out = try pool.outputSize(height: h, width: w)
        let rows = taps(output: out.y, input: h, kernel: pool.kernel.y, stride: pool.stride.y, dilation: pool.dilation.y, before: pool.padding.top)
        let cols = taps(output: out.x, input: w, kernel: pool.kernel.x, stride: pool.stride.x, dilation: pool.dilation.x, before: pool.padding.left)
        return rows.flatMap { r in cols.map { Float(r * $0) } }
    }

    func forward(_ node: GraphNode, _ inputs: OperatorInputs) throws -> [Tensor] {
        let p = try exponent(node)
        return [try perImage(try inputs.required(0)) { image in
            guard let (c, h, w) = image.planeShape else { throw EngineError.shapeMismatch("pooling input \(image.shape)") }
            let pool = try node.pooling(kind: .average, height: h, width: w)
            let powered = Tensor(shape: [c, h, w], storage: image.storage.map { p == 2 ? $0 * $0 : pow(abs($0), p) })
            var y = try pool.applied(to: powered)
            let counts = try Self.counts(pool, height: h, width: w)
            let n = counts.count
            for i in 0..<y.count {
                let sum = y.storage[i] * counts[i % n]
                y.storage[i] = p == 2 ? sum.squareRoot() : p == 1 ? sum : pow(sum, 1 / p)
            }
            return y
        }]
    }

    func outputShapes(_ node: GraphNode, _ inputs: ShapeInputs) throws -> [[Int]] {
        let x = try inputs.shape(0)
        let (c, h, w) = try ShapeRules.planes(x)
        return [try ShapeRules.spatial(x, channels: c, size: try node.pooling(kind: .average, height: h, width: w).outputSize(height: h, width: w))]
    }

    func summarise(_ s: inout LayerSummary, _ node: GraphNode, _ context: SummaryContext) throws {
        guard s.inputShape.count == 3 else {
            throw ModelError.layerFailed(node: s.name, op: node.op, reason: "its input is not a feature map (shape \(s.inputShape))")
        }
        let pool = try node.pooling(kind: .average, height: s.inputShape[1], width: s.inputShape[2])
        s.recordWindow(kernel: pool.kernel, stride: pool.stride, dilation: pool.dilation, padding: pool.padding,
                       inputField: context.fields[node.inputs.first ?? ""] ?? .notSpatial)
    }

    /// ∂y/∂x = y^(1−p)·|x|^(p−1)·sign(x) for each window containing x: the average pool's gradient
    /// (which shares g/count among the window's cells) of g·y^(1−p)·count, times |x|^(p−1)·sign(x).
    /// A window whose output is 0 passes nothing back.
    func backward(_ node: GraphNode, _ context: inout BackwardContext) throws {
        let x = try context.input(0), y = context.output
        guard let (c, h, w) = x.planeShape else { throw EngineError.shapeMismatch("pooling input \(x.shape)") }
        let p = try exponent(node)
        let pool = try node.pooling(kind: .average, height: h, width: w)
        let counts = try Self.counts(pool, height: h, width: w)
        let n = counts.count
        let scaled = (0..<context.gradient.count).map { i -> Float in
            let v = y.storage[i]
            return v == 0 ? 0 : context.gradient[i] * pow(v, 1 - p) * counts[i % n]
        }
        let shared = try pool.inputGradient(scaled, input: Tensor(shape: [c, h, w], storage: x.storage))
        context.add(0, zip(shared.storage, x.storage).map { g, v in
            v == 0 ? 0 : g * pow(abs(v), p - 1) * (v < 0 ? -1 : 1)
        })
    }
}
