/// One layer as `featmap info` shows it: its geometry, cost and receptive field.
public struct LayerSummary: Sendable {
    /// Position in the graph's node order.
    public var index: Int
    public var name: String
    public var op: String
    /// Window geometry of convolutions and pooling layers (nil for others).
    public var kernel: Pair?
    public var stride: Pair?
    /// Padding as the layer applies it (auto_pad resolved for this input size).
    public var padding: Padding?
    public var dilation: Pair?
    public var groups: Int?
    /// The first input's shape, [C, H, W] for feature maps.
    public var inputShape: [Int]
    /// [C, H, W] for feature maps, the raw shape otherwise.
    public var outputShape: [Int]
    public var parameters: Int
    /// Multiply-accumulates for one input: convolutions C_out·H_out·W_out·(kh·kw·C_in/groups),
    /// Gemm/MatMul M·N·K; zero for layers without products (pooling, activations).
    public var multiplyAccumulates: Int
    public var field: LayerField
    /// For convolutions: parameters with and without weight sharing.
    public var weightSharing: WeightSharing?
}
