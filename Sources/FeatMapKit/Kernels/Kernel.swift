/// A classic filter kernel: a height×width matrix of weights applied by cross-correlation
/// (OpenCV's filter2D convention), an anchor and an offset added to every response.
public struct Kernel: Sendable, Equatable {
    public var name: String
    public var width: Int
    public var height: Int
    /// Row-major, `height` rows of `width` values.
    public var values: [Float]
    /// The cell (row y, column x) that sits over the output pixel; nil means the centre (k/2, as OpenCV).
    public var anchor: Pair?
    /// Added to every response, on the 0–255 scale (×257 on 16-bit images, so a kernel file
    /// looks the same on both).
    public var offset: Float

    public init(name: String, width: Int, height: Int, values: [Float], anchor: Pair? = nil, offset: Float = 0) {
        precondition(width >= 1 && height >= 1 && values.count == width * height,
                     "a \(height)×\(width) kernel needs \(width * height) values")
        self.name = name
        self.width = width
        self.height = height
        self.values = values
        self.anchor = anchor
        self.offset = offset
    }

    /// A square kernel from rows written out in source code.
    init(name: String, rows: [[Float]]) {
        self.init(name: name, width: rows[0].count, height: rows.count, values: rows.flatMap { $0 })
    }

    /// The outer product column ⊗ row: value[y][x] = column[y] · row[x].
    init(name: String, column: [Float], row: [Float]) {
        self.init(name: name, width: row.count, height: column.count,
                  values: column.flatMap { c in row.map { c * $0 } })
    }

    public subscript(row: Int, column: Int) -> Float { values[row * width + column] }

    /// The anchor actually used: the given one or the centre (height/2, width/2).
    public var effectiveAnchor: Pair { anchor ?? Pair(height / 2, width / 2) }

    public var sum: Float {
        var s = 0.0
        for v in values { s += Double(v) }
        return Float(s)
    }

    /// Rows become columns (sobel-x → sobel-y).
    public var transposed: Kernel {
        var t = [Float](repeating: 0, count: values.count)
        for y in 0..<height { for x in 0..<width { t[x * height + y] = values[y * width + x] } }
        return Kernel(name: name, width: height, height: width, values: t,
                      anchor: anchor.map { Pair($0.x, $0.y) }, offset: offset)
    }

    /// Rotated by 180°, with the anchor moved to (h − 1 − ay, w − 1 − ax) as OpenCV's filter2D
    /// documentation prescribes: correlating with it is true convolution with the original.
    public var flipped: Kernel {
        let a = effectiveAnchor
        return Kernel(name: name, width: width, height: height, values: values.reversed(),
                      anchor: Pair(height - 1 - a.y, width - 1 - a.x), offset: offset)
    }

    /// Column and row factors with value[y][x] ≈ column[y] · row[x], or nil when the kernel is not
    /// rank 1 within `tolerance` × max|value|.
    ///
    /// For a rank-1 matrix every row is a multiple of every other, so with the pivot (r, c) at the
    /// largest |value|: column = K[·, c], row = K[r, ·] / K[r, c]. The residual max|K − column ⊗ row|
    /// decides. For display the pair is then rescaled (column·k, row/k): when both factors have a
    /// non-zero sum each sums to √|Σ K| in magnitude (a normalised Gaussian splits into two normalised
    /// 1-D Gaussians), otherwise the row's smallest non-zero |entry| becomes 1 (sobel-x: [1 2 1] ⊗
    /// [−1 0 1]); the column's first non-zero entry is made positive.
    public func separableFactors(tolerance: Float = 1e-5) -> (column: [Float], row: [Float])? {
        var pivot = 0, largest: Float = 0
        for (i, v) in values.enumerated() where abs(v) > largest { largest = abs(v); pivot = i }
        guard largest > 0, largest.isFinite else { return nil }
        let r = pivot / width, c = pivot % width, p = values[pivot]
        let column = (0..<height).map { values[$0 * width + c] }
        let row = (0..<width).map { values[r * width + $0] / p }
        for y in 0..<height { for x in 0..<width {
            if abs(values[y * width + x] - column[y] * row[x]) > tolerance * largest { return nil }
        } }
        let columnSum = column.reduce(0, +), rowSum = row.reduce(0, +)
        let tiny = 1e-6 * largest
        var k: Float = 1
        if abs(columnSum) > tiny && abs(rowSum) > tiny {
            k = (abs(columnSum * rowSum)).squareRoot() / columnSum
        } else if let smallest = row.filter({ $0 != 0 }).map({ abs($0) }).min() {
            k = smallest
        }
        if let first = column.first(where: { $0 != 0 }), first * k < 0 { k = -k }
        return (column.map { $0 * k }, row.map { $0 / k })
    }

    /// K = impulse·δ(anchor) + column ⊗ row, or nil when no such split holds within `tolerance` ×
    /// max|value|. Unsharp masks ((1 + a)·δ − a·G) and `edge` (9·δ − ones) have this form, so they run
    /// as two 1-D passes plus one tap. The rank-1 part is found as in `separableFactors`, but from a pivot
    /// outside the anchor's row and column, so the anchor cell (the only one the impulse changes) never
    /// enters the factors; the impulse is what remains at the anchor.
    public func impulsePlusSeparable(tolerance: Float = 1e-5) -> (impulse: Float, column: [Float], row: [Float])? {
        let a = effectiveAnchor
        var pivot: (y: Int, x: Int)?, largest: Float = 0, overall: Float = 0
        for y in 0..<height { for x in 0..<width {
            let v = abs(values[y * width + x])
            overall = max(overall, v)
            if y != a.y && x != a.x && v > largest { largest = v; pivot = (y, x) }
        } }
        guard let (r, c) = pivot, overall.isFinite else { return nil }
        let p = values[r * width + c]
        let column = (0..<height).map { values[$0 * width + c] }
        let row = (0..<width).map { values[r * width + $0] / p }
        for y in 0..<height { for x in 0..<width where y != a.y || x != a.x {
            if abs(values[y * width + x] - column[y] * row[x]) > tolerance * overall { return nil }
        } }
        return (values[a.y * width + a.x] - column[a.y] * row[a.x], column, row)
    }

    /// K ≈ Σ column_i ⊗ row_i with at most `maximumTerms` terms, within `tolerance` × max|value|, or nil.
    /// Cross approximation with complete pivoting (Gaussian elimination on the matrix): take the largest
    /// |residual| at (r, c), subtract residual[·, c] ⊗ residual[r, ·] / residual[r, c], repeat. Each step
    /// zeroes row r and column c, so a kernel of exact rank k is done in k steps. The Laplacian of Gaussian
    /// is rank 3 (g″ ⊗ g + g ⊗ g″ minus a constant), so log:10 runs as three pairs of 61-tap passes.
    public func separableTerms(maximumTerms: Int, tolerance: Float = 1e-5) -> [(column: [Float], row: [Float])]? {
        var residual = values.map(Double.init)
        let largest = residual.reduce(0) { Swift.max($0, abs($1)) }
        guard largest > 0, largest.isFinite else { return nil }
        var terms: [(column: [Float], row: [Float])] = []
        while true {
            var pivot = 0, size = 0.0
            for (i, v) in residual.enumerated() where abs(v) > size { size = abs(v); pivot = i }
            if size <= Double(tolerance) * largest { return terms }
            guard terms.count < maximumTerms else { return nil }
            let r = pivot / width, c = pivot % width, p = residual[pivot]
            let column = (0..<height).map { residual[$0 * width + c] }
            let row = (0..<width).map { residual[r * width + $0] / p }
            for y in 0..<height { for x in 0..<width { residual[y * width + x] -= column[y] * row[x] } }
            terms.append((column.map { Float($0) }, row.map { Float($0) }))
        }
    }
}
