/// One 8-bit RGB colour, the unit of a `Canvas`.
public struct RGB: Sendable, Hashable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(grey v: UInt8) { self.init(v, v, v) }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    /// Not produced by any featmap colormap, so a NaN stands out from data.
    public static let magenta = RGB(255, 0, 255)

    /// Rec. 601 luma, used to pick black or white text over a colour.
    public var luma: Float { 0.299 * Float(r) + 0.587 * Float(g) + 0.114 * Float(b) }

    /// Black on light colours, white on dark ones (luma threshold at mid-grey).
    public var contrastingText: RGB { luma >= 128 ? .black : .white }

    public var description: String { "(\(r), \(g), \(b))" }
}
