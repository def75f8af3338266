/// Max or average pooling over windows of each [H, W] plane, as ONNX MaxPool / AveragePool.
///
/// Output size per axis: ⌊(n + p_total − k)/s⌋ + 1, or with `ceilMode` ⌈(n + p_total − k)/s⌉ + 1
/// minus one when the last window would start inside the trailing padding (the rule of
/// PyTorch and onnxruntime: every window must start in the image or the leading padding).
public struct Pooling: Sendable, Equatable {
    public enum Kind: String, Sendable { case max, average }

    public var kind: Kind
    public var kernel: Pair
    public var stride: Pair
    public var padding: Padding
    public var dilation: Pair
    public var ceilMode: Bool
    /// Average pooling only: divide by the whole window (padding cells count as zeros) rather
    /// than by the number of image cells it covers.
    public var countIncludePad: Bool

    public init(kind: Kind, kernel: Pair, stride: Pair? = nil, padding: Padding = .none, dilation: Pair = .one,
                ceilMode: Bool = false, countIncludePad: Bool = false) {
        self.kind = kind
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    public func outputSize(height h: Int, width w: Int) throws -> Pair {
        guard kernel.y >= 1, kernel.x >= 1, stride.y >= 1, stride.x >= 1, dilation.y >= 1, dilation.x >= 1 else {
            throw EngineError.invalidParameter("pooling needs a kernel, stride and dilation of at least 1 (kernel \(kernel), stride \(stride))")
        }
        guard padding.top >= 0, padding.bottom >= 0, padding.left >= 0, padding.right >= 0 else {
            throw EngineError.invalidParameter("pooling padding cannot be negative")
        }
        func axis(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ before: Int, _ after: Int) -> Int? {
            let span = d * (k - 1) + 1
            let room = n + before + after - span
            guard room >= 0 else { return nil }
            var out = (ceilMode ? (room + s - 1) / s : room / s) + 1
            if ceilMode && (out - 1) * s >= n + before { out -= 1 }
            return out
        }
        guard let oy = axis(h, kernel.y, stride.y, dilation.y, padding.top, padding.bottom),
              let ox = axis(w, kernel.x, stride.x, dilation.x, padding.left, padding.right) else {
            throw EngineError.kernelLargerThanInput(kernel: kernel, input: Pair(h, w), padding: padding)
        }
        return Pair(oy, ox)
    }

    /// Pools a [C, H, W] (or [1, C, H, W]) tensor into [C, Ho, Wo].
    public func applied(to input: Tensor) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("pooling input must be [C, H, W], got \(input.shape)")
        }
        let out = try outputSize(height: h, width: w)
        var result = [Float](repeating: 0, count: c * out.y * out.x)
        let (kernel, stride, padding, dilation) = (self.kernel, self.stride, self.padding, self.dilation)
        let isMax = kind == .max, includePad = countIncludePad
        input.storage.withUnsafeBufferPointer { srcBuf in
            result.withUnsafeMutableBufferPointer { dstBuf in
                let src = SendableConstPointer(srcBuf.baseAddress!), dst = SendablePointer(dstBuf.baseAddress!)
                Parallel.forEachChunk(c * out.y, minimumChunk: 8) { range in
                    for item in range {
                        let ch = item / out.y, oy = item % out.y
                        let plane = src.base + ch * h * w
                        let orow = dst.base + (ch * out.y + oy) * out.x
                        let y0 = oy * stride.y - padding.top
                        // Rows of the window inside the image, and inside image + padding (for the divisor).
                        var rows: [Int] = []
                        var paddedRows = 0
                        for ky in 0..<kernel.y {
                            let y = y0 + ky * dilation.y
                            if y < h + padding.bottom { paddedRows += 1 }
                            if y >= 0 && y < h { rows.append(y) }
                        }
                        for ox in 0..<out.x {
                            let x0 = ox * stride.x - padding.left
                            var best = -Float.infinity, sum: Float = 0, cells = 0, paddedCols = 0
                            for kx in 0..<kernel.x {
                                let x = x0 + kx * dilation.x
                                if x < w + padding.right { paddedCols += 1 }
                                guard x >= 0 && x < w else { continue }
                                for y in rows {
                                    let v = plane[y * w + x]
                                    if isMax { if v > best || v.isNaN { best = v } } else { sum += v }
                                    cells += 1
                                }
                            }
                            if isMax {
                                orow[ox] = cells > 0 ? best : 0
                            } else {
                                let divisor = includePad ? paddedRows * paddedCols : cells
                                orow[ox] = divisor > 0 ? sum / Float(divisor) : 0
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [c, out.y, out.x], storage: result)
    }

    /// The mean of each [H, W] plane of a [C, H, W] (or [1, C, H, W]) tensor, as [C, 1, 1].
    public static func globalAverage(of input: Tensor) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("global pooling input must be [C, H, W], got \(input.shape)")
        }
        let n = h * w
        var result = [Float](repeating: 0, count: c)
        input.storage.withUnsafeBufferPointer { src in
            for ch in 0..<c {
                var sum = 0.0
                let p = src.baseAddress! + ch * n
                for i in 0..<n { sum += Double(p[i]) }
                result[ch] = n > 0 ? Float(sum / Double(n)) : 0
            }
        }
        return Tensor(shape: [c, 1, 1], storage: result)
    }

    /// The maximum of each [H, W] plane, as [C, 1, 1].
    public static func globalMaximum(of input: Tensor) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("global pooling input must be [C, H, W], got \(input.shape)")
        }
        let n = h * w
        var result = [Float](repeating: 0, count: c)
        for ch in 0..<c { result[ch] = input.storage[(ch * n)..<((ch + 1) * n)].max() ?? 0 }
        return Tensor(shape: [c, 1, 1], storage: result)
    }
}
