/// How a classic filter slides over an image.
public struct FilterOptions: Sendable {
    public var padding: PaddingChoice = .same
    public var stride: Pair = .one
    public var dilation: Pair = .one
    public var border: BorderMode = .replicate
    /// Flip the kernel (and its anchor) first: true convolution instead of correlation.
    public var convolve = false
    /// Convert a colour image to luma (Rec. 601) before filtering.
    public var gray = false
    /// Two 1-D passes for a separable kernel: nil decides by cost, true forces them where the kernel
    /// is separable, false always runs the direct 2-D window.
    public var separable: Bool? = nil

    public init() {}
}
