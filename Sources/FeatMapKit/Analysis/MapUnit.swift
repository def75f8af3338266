/// One unit of a layer's output: a channel and a position in its feature map.
public struct MapUnit: Sendable, Hashable, CustomStringConvertible {
    public var channel: Int, y: Int, x: Int
    public init(channel: Int, y: Int, x: Int) { self.channel = channel; self.y = y; self.x = x }
    public var description: String { "c\(channel) (\(y),\(x))" }

    /// The `count` largest values of a [C, H, W] map (of `channel` alone when given), strongest first;
    /// ties keep the earlier unit first, NaN never wins.
    public static func strongest(in maps: Tensor, count: Int, channel: Int? = nil) throws -> [(unit: MapUnit, value: Float)] {
        guard let (c, h, w) = maps.planeShape else {
            throw ModelError.badInput("the layer's output has shape \(maps.shape), not feature maps; pick a convolution, activation or pooling layer")
        }
        if let channel, !(0..<c).contains(channel) {
            throw ModelError.badInput("channel \(channel) does not exist; the layer has channels 0–\(c - 1)")
        }
        let plane = h * w
        let range = channel.map { ($0 * plane)..<(($0 + 1) * plane) } ?? 0..<(c * plane)
        let order = range.filter { !maps.storage[$0].isNaN }.sorted {
            maps.storage[$0] != maps.storage[$1] ? maps.storage[$0] > maps.storage[$1] : $0 < $1
        }
        return order.prefix(max(0, count)).map { i in
            (MapUnit(channel: i / plane, y: (i % plane) / w, x: i % w), maps.storage[i])
        }
    }
}
