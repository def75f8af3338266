/// Raw responses of a classic filter, before they are mapped to pixels.
public struct FilterResponse: Sendable {
    /// [C, Ho, Wo] float responses in the input image's native units (0...255 or 0...65535 scale).
    public var responses: Tensor
    /// The input's alpha at the output positions (Ho·Wo values, native units), or nil.
    public var alpha: [Float]?
    /// The input image's bit depth (8 or 16): what "native units" means for `responses`.
    public var bitDepth: Int

    public init(responses: Tensor, alpha: [Float]?, bitDepth: Int) {
        self.responses = responses
        self.alpha = alpha
        self.bitDepth = bitDepth
    }
}
