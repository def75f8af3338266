/// What can be said about a layer's receptive field.
public enum LayerField: Sendable, Equatable {
    /// Every unit of the layer has this field.
    case spatial(ReceptiveField)
    /// Branches joined here see the input through fields with different strides or centres
    /// (Distill 2019: the network is not aligned), so no one field describes the layer.
    case notAligned
    /// The layer has no spatial layout any more (after Flatten, Gemm, …).
    case notSpatial
    /// The units' fields do not step evenly through the input, so no one size, stride and padding
    /// describes them: after upsampling (Resize, Upsample) or a transposed convolution with stride > 1,
    /// neighbouring units read the same input cells, or windows of different widths, and the jump would
    /// be a fraction of a pixel that the integer model of Araujo et al. cannot hold. The string says
    /// which layer and why, for `info` and `rf` to print.
    case irregular(String)

    public var field: ReceptiveField? { if case .spatial(let f) = self { return f }; return nil }
}
