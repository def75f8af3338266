/// How cells outside the image are filled when a window reaches past its edge.
/// Exactly OpenCV's `borderInterpolate` for BORDER_CONSTANT(0), BORDER_REPLICATE,
/// BORDER_REFLECT, BORDER_REFLECT_101 and BORDER_WRAP.
public enum BorderMode: String, CaseIterable, Sendable {
    /// 000000|abcdefgh|0000000
    case zero
    /// aaaaaa|abcdefgh|hhhhhhh
    case replicate
    /// fedcba|abcdefgh|hgfedcb
    case reflect
    /// gfedcb|abcdefgh|gfedcba
    case reflect101
    /// cdefgh|abcdefgh|abcdefg
    case wrap

    /// The source index that coordinate `p` reads for a row or column of `count` cells,
    /// or nil where the cell is zero.
    @inline(__always)
    public func sourceIndex(_ p: Int, count len: Int) -> Int? {
        if p >= 0 && p < len { return p }
        switch self {
        case .zero:
            return nil
        case .replicate:
            return p < 0 ? 0 : len - 1
        case .reflect, .reflect101:
            if len == 1 { return 0 }
            let delta = self == .reflect101 ? 1 : 0
            var q = p
            repeat {
                if q < 0 { q = -q - 1 + delta } else { q = len - 1 - (q - len) - delta }
            } while q < 0 || q >= len
            return q
        case .wrap:
            var q = p
            if q < 0 { q -= ((q - len + 1) / len) * len }
            if q >= len { q %= len }
            return q
        }
    }
}

/// Cells added on each side before a window slides: top, bottom, left, right.
public struct Padding: Equatable, Sendable {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    public init(all n: Int) { self.init(top: n, bottom: n, left: n, right: n) }

    public static let none = Padding(all: 0)

    /// "Same" padding for a kernel whose anchor sits at (anchorY, anchorX): the output of a
    /// stride-1 pass keeps the input size. The default anchor is (k/2) as in OpenCV, so an even
    /// kernel gets the extra cell before the image: k = 4 pads 2 before and 1 after.
    public static func same(kernelHeight kh: Int, kernelWidth kw: Int, dilation: (y: Int, x: Int) = (1, 1),
                            anchor: (y: Int, x: Int)? = nil) -> Padding {
        let ay = anchor?.y ?? kh / 2, ax = anchor?.x ?? kw / 2
        let spanY = dilation.y * (kh - 1), spanX = dilation.x * (kw - 1)
        let top = dilation.y * ay, left = dilation.x * ax
        return Padding(top: top, bottom: spanY - top, left: left, right: spanX - left)
    }

    public var isZero: Bool { top == 0 && bottom == 0 && left == 0 && right == 0 }
    /// The padding above and below, none left and right.
    public var rowsOnly: Padding { Padding(top: top, bottom: bottom, left: 0, right: 0) }
}

extension BorderMode {
    /// The padded columns 0 ..< paddedWidth outside the input (which starts at column `left`), each with
    /// the input column it copies (−1 for zeros). `Tensor.padded(by:border:)` fills its rows' edges
    /// from it; the separable passes fill their vertical pass's output from it, since the vertical pass
    /// of a padded column is the same copy of the vertical pass of its input column, so the input is
    /// not copied to add a few columns.
    func edgeColumns(left: Int, inputWidth w: Int, paddedWidth: Int) -> [(column: Int, source: Int)] {
        (Array(0..<min(left, paddedWidth)) + Array(min(left + w, paddedWidth)..<paddedWidth)).map {
            ($0, sourceIndex($0 - left, count: w) ?? -1)
        }
    }

    /// Writes a line's padded columns from its input columns, which start at `left`.
    @inline(__always)
    static func fillEdges(of line: UnsafeMutablePointer<Float>, left: Int, _ edges: [(column: Int, source: Int)]) {
        for (column, source) in edges { line[column] = source >= 0 ? line[left + source] : 0 }
    }
}

extension Tensor {
    /// Each [H, W] plane padded on each side, the new cells filled by `border`.
    /// Works on [C, H, W], [1, C, H, W] and [H, W] tensors.
    public func padded(by pad: Padding, border: BorderMode) -> Tensor {
        guard let (c, h, w) = planeShape else { preconditionFailure("padded(by:) needs planes, got \(shape)") }
        if pad.isZero { return self }
        let ph = h + pad.top + pad.bottom, pw = w + pad.left + pad.right
        // Every cell is written below (zeros where the border gives no source), rows split over the cores.
        var out = LargeBuffer.uninitialized(c * ph * pw)
        // Column map computed once: each padded column and the input column it copies.
        let edges = border.edgeColumns(left: pad.left, inputWidth: w, paddedWidth: pw)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let srcP = SendableConstPointer(src.baseAddress!), dstP = SendablePointer(dst.baseAddress!)
                Parallel.forEachChunk(c * ph, minimumChunk: 64) { range in
                    for item in range {
                        let ch = item / ph, y = item % ph
                        let drow = dstP.base + (ch * ph + y) * pw
                        guard let sy = border.sourceIndex(y - pad.top, count: h) else {
                            drow.update(repeating: 0, count: pw)
                            continue
                        }
                        (drow + pad.left).update(from: srcP.base + (ch * h + sy) * w, count: w)
                        BorderMode.fillEdges(of: drow, left: pad.left, edges)
                    }
                }
            }
        }
        var newShape = shape
        newShape[newShape.count - 2] = ph
        newShape[newShape.count - 1] = pw
        return Tensor(shape: newShape, storage: out)
    }
}
