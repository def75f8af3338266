/// A point in picture pixels, origin top-left.
public struct PixelPoint: Sendable, Hashable {
    public var x: Int, y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}
