/// A rectangle in picture pixels, origin top-left.
public struct PixelRect: Sendable, Hashable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
    public var origin: PixelPoint { PixelPoint(x: x, y: y) }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func contains(_ p: PixelPoint) -> Bool { p.x >= x && p.y >= y && p.x < maxX && p.y < maxY }
}
