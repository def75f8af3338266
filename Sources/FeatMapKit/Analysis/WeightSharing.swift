/// The weight-sharing lesson for one convolution: the parameters it has, against what a layer with
/// the same connectivity but no sharing would need.
public struct WeightSharing: Sendable, Equatable {
    /// kh·kw·C_in/groups·C_out weights + C_out biases.
    public var convolution: Int
    /// A locally connected layer with the same windows: its own kernel and bias per output position,
    /// outH·outW·C_out·(kh·kw·C_in/groups + 1).
    public var locallyConnected: Int
    /// A fully connected layer between the same input and output sizes:
    /// (inH·inW·C_in)·(outH·outW·C_out) + outH·outW·C_out.
    public var fullyConnected: Int

    /// Counts for a convolution with `kernel`, `groups`, between [C_in, inH, inW] and [C_out, outH, outW];
    /// `hasBias` says whether the convolution itself has biases.
    public init(kernel: Pair, inputShape: [Int], outputShape: [Int], groups: Int, hasBias: Bool) {
        let (cin, inH, inW) = (inputShape[0], inputShape[1], inputShape[2])
        let (cout, outH, outW) = (outputShape[0], outputShape[1], outputShape[2])
        let window = kernel.y * kernel.x * (cin / max(1, groups))
        let outputs = outH * outW * cout
        convolution = window * cout + (hasBias ? cout : 0)
        locallyConnected = outputs * (window + 1)
        fullyConnected = inH * inW * cin * outputs + outputs
    }
}
