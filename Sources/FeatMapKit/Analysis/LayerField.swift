/// What can be said about a layer's receptive field.
public enum LayerField: Sendable, Equatable {
    /// Every unit of the layer has this field.
    case spatial(ReceptiveField)
    /// Branches joined here see the input through fields with different strides or centres
    /// (Distill 2019: the network is not aligned), so no one field describes the layer.
    case notAligned
    /// The layer has no spatial layout any more (after Flatten, Gemm, …).
    case notSpatial

    public var field: ReceptiveField? { if case .spatial(let f) = self { return f }; return nil }
}
