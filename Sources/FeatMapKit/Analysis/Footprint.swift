/// Which input cells each output cell of a layer reads, along one axis: for each output index the
/// first and last input index with a nonzero weight, before any clamping to the image (a cell before
/// 0 or after n − 1 is padding, as for a convolution). Layers without a kernel_shape (Resize,
/// ConvTranspose) describe their windows this way, and the receptive field follows from it.
struct Footprint: Equatable {
    /// (first, last) input index per output index; nil where the output reads no input cell
    /// (a tf_crop_and_resize cell outside the crop box, a transposed-convolution cell that no input reaches).
    var reach: [(first: Int, last: Int)?]

    static func == (a: Footprint, b: Footprint) -> Bool {
        a.reach.count == b.reach.count && zip(a.reach, b.reach).allSatisfy { $0?.first == $1?.first && $0?.last == $1?.last }
    }

    /// The sliding window this footprint is, when it is one: output u reads [u·stride − before,
    /// u·stride − before + kernel − 1] for every u, with stride ≥ 1. Nil otherwise — upsampling
    /// (stride 0 or uneven steps between neighbours) or windows of different widths.
    var window: (kernel: Int, stride: Int, before: Int)? {
        guard let first = reach.first, let f = first else { return nil }
        let kernel = f.last - f.first + 1
        var stride = 1
        if reach.count > 1 {
            guard let second = reach[1] else { return nil }
            stride = second.first - f.first
        }
        guard stride >= 1, kernel >= 1 else { return nil }
        for (u, r) in reach.enumerated() {
            guard let r, r.first == f.first + u * stride, r.last - r.first + 1 == kernel else { return nil }
        }
        return (kernel, stride, -f.first)
    }
}

extension LayerSummary {
    /// Records the field of a layer whose windows are given as footprints along H and W: a window
    /// layer's field (`ReceptiveField.through`, exact) when both are sliding windows, otherwise
    /// `.irregular` with `why` (which says what the layer does) as the reason.
    mutating func recordFootprint(rows: Footprint, columns: Footprint, inputField: LayerField, why: String) {
        guard outputShape.count == 3 else { field = .notSpatial; return }
        guard case .spatial(let f) = inputField else { field = inputField; return }
        guard let y = rows.window, let x = columns.window else {
            field = .irregular(why)
            return
        }
        kernel = Pair(y.kernel, x.kernel)
        stride = Pair(y.stride, x.stride)
        field = .spatial(f.through(kernel: Pair(y.kernel, x.kernel), stride: Pair(y.stride, x.stride), before: Pair(y.before, x.before)))
    }
}
