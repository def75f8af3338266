import Foundation

/// `featmap pool`: one row per channel, the input with every pooling window outlined (for max pooling the
/// cell that won each window framed), the pooled output beside it; with `shift`, a row per channel for the
/// shifted input with the pooled values the shift did not change outlined.
public struct PoolingDrawing: Sendable {
    /// A square window, the same stride and padding on both axes.
    public var pooling: Pooling
    public var shift: Pair?
    /// Also write the pooled values (float32 [C, Ho, Wo]) beside the picture.
    public var npy = false
    public var decode = DecodeOptions()

    public init(pooling: Pooling) { self.pooling = pooling }

    /// The planes to pool and a name for each.
    public static func planes(_ path: String, decode: DecodeOptions) throws -> (Tensor, [String]) {
        let bytes = try InputFile.read(path)
        if ImageFormat.detect(bytes) == .npy {  // by content, as every reader decides
            var t = try NPY.decode(bytes, source: path)
            if t.rank == 2 { t = t.reshaped([1] + t.shape) }
            if t.rank == 4 && t.shape[0] == 1 { t = t.reshaped(Array(t.shape.dropFirst())) }
            guard t.rank == 3, t.count > 0 else {
                throw ModelError.badInput("\(path): a .npy to pool must be [H, W], [C, H, W] or [1, C, H, W] and not empty; got shape \(t.shape)")
            }
            return (t, (0..<t.shape[0]).map { "channel \($0)" })
        }
        let image = try ImageDecoder.decode(bytes, source: CodecError.displayName(path), options: decode)
        let planes = image.colorPlanes
        return (planes, planes.shape[0] == 3 ? ["red", "green", "blue"] : ["grey"])
    }

    /// Pools one input and writes its picture (and with `npy` the pooled values, same name with .npy) to `path`.
    public func draw(input: String, to path: String) throws -> PoolingDrawingReport {
        let (planes, names) = try PoolingDrawing.planes(input, decode: decode)
        guard let (c, h, w) = planes.planeShape else { throw ModelError.badInput("\(input): not a set of planes") }
        let op: Pooling.Kind = pooling.kind, size = pooling.kernel.y, stride = pooling.stride.y
        let padding = pooling.padding.top, ceil = pooling.ceilMode
        let comparison = try shift.map { try ShiftComparison(input: planes, pooling: pooling, shift: $0) }
        let pooled = try comparison?.pooled ?? pooling.applied(to: planes)
        guard let (_, oh, ow) = pooled.planeShape else { throw ModelError.badInput("pooling gave no planes") }
        let n = oh * ow
        func winners(_ t: Tensor, _ ch: Int) throws -> [Int?] {
            op == .max ? try pooling.winners(plane: t.storage[(ch * h * w)..<((ch + 1) * h * w)], height: h, width: w, skippingTies: true) : []
        }
        var rows: [PoolingPicture.Row] = []
        for ch in 0..<c {
            let plane = Array(planes.storage[(ch * h * w)..<((ch + 1) * h * w)])
            rows.append(.init(label: names[ch], input: plane, output: Array(pooled.storage[(ch * n)..<((ch + 1) * n)]),
                              winners: try winners(planes, ch)))
            if let comparison {
                let moved = comparison.shiftedInput
                let same = Set(comparison.unchanged.filter { $0 / n == ch }.map { $0 % n })
                rows.append(.init(label: "\(names[ch])\nshifted \(comparison.shift.y),\(comparison.shift.x)",
                                  input: Array(moved.storage[(ch * h * w)..<((ch + 1) * h * w)]),
                                  output: Array(comparison.shiftedPooled.storage[(ch * n)..<((ch + 1) * n)]),
                                  winners: try winners(moved, ch), highlighted: same))
            }
        }
        let name = op == .max ? "max" : "average"
        let title = "\(name) pooling \(size)×\(size), stride \(stride), padding \(padding)\(ceil ? ", ceil mode" : "")"
        var caption = PoolingPicture.overlaps(pooling)
            ? "left: input, lines at window starts, orange = two whole windows (they overlap)" : "left: input with each window outlined"
        if op == .max { caption += ", red = the cell that wins its window" }
        caption += "; right: pooled output, each cell where its window starts"
        if comparison != nil { caption += "\nshifted rows: green = pooled value unchanged by the shift" }
        let picture = try PoolingPicture.draw(rows: rows, height: h, width: w, pooling: pooling, title: title, caption: caption)
        try picture.drawing.write(to: path)
        if npy {
            let npyPath = (path as NSString).deletingPathExtension + ".npy"
            do {
                try OutputFile.write(NPY.encode(shape: pooled.shape, values: pooled.storage), to: npyPath)
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                throw error
            }
        }
        return PoolingDrawingReport(channels: c, height: h, width: w, outputHeight: oh, outputWidth: ow, comparison: comparison)
    }
}

/// The sizes `PoolingDrawing.draw` pooled, and the shift's comparison.
public struct PoolingDrawingReport: Sendable {
    public var channels: Int, height: Int, width: Int
    public var outputHeight: Int, outputWidth: Int
    public var comparison: ShiftComparison?
}
