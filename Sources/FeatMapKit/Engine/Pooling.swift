import CVectorMath

/// Max or average pooling over windows of each [H, W] plane, as ONNX MaxPool / AveragePool.
///
/// NaN: a max window is NaN exactly when its first in-image cell (row-major) is NaN, and otherwise the
/// largest of its other values (a later NaN loses every comparison), as onnxruntime's own MaxPool loop
/// (its MLAS kernel for undilated windows keys on the last cell instead); an average window is NaN when
/// any of its cells is.
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
        guard c > 0 else { throw EngineError.shapeMismatch("pooling input has no channels (shape \(input.shape))") }
        // Every output cell is written below, so no zero fill.
        var result = LargeBuffer.uninitialized(c * out.y * out.x)
        let (kernel, stride, padding, dilation) = (self.kernel, self.stride, self.padding, self.dilation)
        let isMax = kind == .max, includePad = countIncludePad
        let window = Pooling.window
        let columns = (0..<out.x).map { window($0, stride.x, padding.left, kernel.x, dilation.x, w, padding.right) }
        // Max pooling without dilation: the columns whose window lies wholly inside the image take a
        // branch-free loop over a fixed window (the per-column bookkeeping cost more than the maxima).
        let fullColumns = columns.indices.filter { columns[$0].1 == kernel.x }
        let interior = isMax && dilation.x == 1 && !fullColumns.isEmpty
            && fullColumns.count == fullColumns.last! - fullColumns.first! + 1
            ? fullColumns.first!..<(fullColumns.last! + 1) : 0..<0
        let interiorStart = interior.isEmpty ? 0 : columns[interior.lowerBound].0
        // The columns outside the fast range: at most a few at each edge (all of them without one).
        let edgeColumns = Array(0..<interior.lowerBound) + Array(interior.upperBound..<out.x)
        let rowsInfo = (0..<out.y).map { window($0, stride.y, padding.top, kernel.y, dilation.y, h, padding.bottom) }
        input.storage.withUnsafeBufferPointer { srcBuf in
            result.withUnsafeMutableBufferPointer { dstBuf in
                let src = SendableConstPointer(srcBuf.baseAddress!), dst = SendablePointer(dstBuf.baseAddress!)
                columns.withUnsafeBufferPointer { colBuf in
                    let cols = SendableConstPointer(colBuf.baseAddress!)
                    Parallel.forEachChunk(c * out.y, minimumChunk: 8) { range in
                        // Two passes per output row: reduce the window's rows into one row of the
                        // image width (contiguous, so it vectorises), then reduce across columns.
                        let line = UnsafeMutablePointer<Float>.allocate(capacity: max(w, 1))
                        defer { line.deallocate() }
                        for item in range {
                            let ch = item / out.y, oy = item % out.y
                            let plane = src.base + ch * h * w
                            let orow = dst.base + (ch * out.y + oy) * out.x
                            let (y0, rowTaps, paddedRows) = rowsInfo[oy]
                            if rowTaps == 0 {
                                orow.update(repeating: 0, count: out.x)
                                continue
                            }
                            var firstRow = 1
                            // Max down the rows skips NaN (a NaN is replaced by any later value), so a
                            // column is NaN only when all its taps are; the window's first tap decides
                            // NaN below, after the columns.
                            if isMax && rowTaps >= 2 {
                                // The first two rows in one pass instead of a copy and a pass.
                                let r0 = plane + y0 * w, r1 = r0 + dilation.y * w
                                fm_max_rows2(line, r0, r1, w)
                                firstRow = 2
                            } else {
                                line.update(from: plane + y0 * w, count: w)
                            }
                            for ty in firstRow..<max(rowTaps, firstRow) {
                                let row = plane + (y0 + ty * dilation.y) * w
                                if isMax {
                                    fm_max_into(line, row, w)
                                } else {
                                    for x in 0..<w { line[x] += row[x] }
                                }
                            }
                            if !interior.isEmpty {
                                Pooling.maxRow(line + interiorStart, into: orow + interior.lowerBound, count: interior.count,
                                               window: kernel.x, stride: stride.x)
                            }
                            for ox in edgeColumns {
                                let (x0, colTaps, paddedCols) = cols.base[ox]
                                if colTaps == 0 { orow[ox] = 0; continue }
                                let p = line + x0
                                if isMax {
                                    var best = p[0]
                                    if dilation.x == 1 {
                                        for tx in 1..<max(colTaps, 1) { let v = p[tx]; best = v > best ? v : best }
                                    } else {
                                        for tx in 1..<max(colTaps, 1) { let v = p[tx * dilation.x]; best = v > best ? v : best }
                                    }
                                    orow[ox] = best
                                } else {
                                    var sum: Float = 0
                                    for tx in 0..<colTaps { sum += p[tx * dilation.x] }
                                    let divisor = includePad ? paddedRows * paddedCols : rowTaps * colTaps
                                    orow[ox] = sum / Float(divisor)
                                }
                            }
                            if isMax {
                                // A NaN as the window's first in-image tap (row-major) is the result,
                                // whatever follows; a later NaN loses every comparison (as onnxruntime's
                                // own MaxPool loop: Yh = first tap, then x > Yh).
                                let first = plane + y0 * w
                                if fm_any_nan(first, w) != 0 {
                                    for ox in 0..<out.x where cols.base[ox].1 > 0 && first[cols.base[ox].0].isNaN { orow[ox] = .nan }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [c, out.y, out.x], storage: result)
    }

    /// The window of output `o` along one axis (stride `s`, `before` cells of leading padding, `k` taps
    /// `d` apart, `n` image cells, `after` of trailing padding): its first in-image tap (with dilation the
    /// window still steps through the image by `d`), its in-image taps, and its taps within the padded extent.
    static func window(_ o: Int, _ s: Int, _ before: Int, _ k: Int, _ d: Int, _ n: Int, _ after: Int) -> (Int, Int, Int) {
        let start = o * s - before
        var first = start, taps = 0, padded = 0
        while first < 0 { first += d }
        for t in 0..<k {
            let p = start + t * d
            if p < n + after { padded += 1 }
            if p >= 0 && p < n { taps += 1 }
        }
        return (first, taps, padded)
    }

    /// out[i] = max(p[i·s], …, p[i·s + k − 1]) for i < n, with the common windows spelled out.
    @inline(__always)
    static func maxRow(_ p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count n: Int, window k: Int, stride s: Int) {
        // The same comparison as the general loop below, so NaNs resolve the same way.
        @inline(__always) func mx(_ best: Float, _ v: Float) -> Float { v > best ? v : best }
        switch (k, s) {
        case (3, 2):
            // Four outputs at a time: even and odd lanes of p[2i ..< 2i+8] and the even lanes of
            // p[2i+2 ..< 2i+10]. The last full block must not read past p[2(n−1)+2].
            var i = 0
            let raw = UnsafeRawPointer(p)
            while i + 4 <= n && 2 * i + 10 <= 2 * (n - 1) + 3 {
                let a = raw.loadUnaligned(fromByteOffset: 8 * i, as: SIMD8<Float>.self)
                let b = raw.loadUnaligned(fromByteOffset: 8 * i + 8, as: SIMD8<Float>.self)
                var m = a.evenHalf
                m.replace(with: a.oddHalf, where: a.oddHalf .> m)
                m.replace(with: b.evenHalf, where: b.evenHalf .> m)
                UnsafeMutableRawPointer(out + i).storeBytes(of: m, as: SIMD4<Float>.self)
                i += 4
            }
            while i < n { let q = p + 2 * i; out[i] = mx(mx(q[0], q[1]), q[2]); i += 1 }
        case (2, 2): for i in 0..<n { let q = p + 2 * i; out[i] = mx(q[0], q[1]) }
        case (3, 1): for i in 0..<n { out[i] = mx(mx(p[i], p[i + 1]), p[i + 2]) }
        default:
            for i in 0..<n {
                let q = p + s * i
                var best = q[0]
                for t in 1..<max(k, 1) { best = mx(best, q[t]) }
                out[i] = best
            }
        }
    }

    /// The mean of each [H, W] plane of a [C, H, W] (or [1, C, H, W]) tensor, as [C, 1, 1].
    public static func globalAverage(of input: Tensor) throws -> Tensor {
        guard let (c, h, w) = input.planeShape else {
            throw EngineError.shapeMismatch("global pooling input must be [C, H, W], got \(input.shape)")
        }
        let n = h * w
        var result = [Float](repeating: 0, count: c)
        guard n > 0 else { return Tensor(shape: [c, 1, 1], storage: result) }
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
