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
    /// is separable, false always runs the direct 2-D window. Internal: the routes give the same
    /// result, so only the tests that compare them choose one (`@testable import`).
    var separable: Bool? = nil

    public init() {}

    /// Limits that keep a typo from asking for gigabytes: stride and dilation up to 10 000, padding up
    /// to 2048 cells a side (a 2000×2000 RGB image padded by 2048 all round is ~450 MB of floats).
    public static let maximumStep = 10_000
    public static let maximumPadding = 2048

    /// Throws when stride or dilation is below 1 or beyond `maximumStep`.
    public func validate() throws {
        for (what, p) in [("stride", stride), ("dilation", dilation)] {
            guard p.y >= 1, p.x >= 1 else {
                throw EngineError.invalidParameter("\(what) must be at least 1 (got \(p)); use --\(what) 1 or more")
            }
            guard p.y <= FilterOptions.maximumStep, p.x <= FilterOptions.maximumStep else {
                throw EngineError.invalidParameter("\(what) \(p) is larger than \(FilterOptions.maximumStep); "
                                                   + "use a smaller --\(what)")
            }
        }
    }
}
