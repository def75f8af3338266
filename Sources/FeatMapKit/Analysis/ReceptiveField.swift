/// The receptive field of a unit, per axis, after Araujo, Norris and Sim, "Computing Receptive Fields
/// of Convolutional Neural Networks" (Distill, 2019):
///
/// - size r: how many input pixels one unit sees, r_l = r_{l−1} + (k'_l − 1)·S_{l−1}, where
///   k' = d(k − 1) + 1 is the span of a kernel of size k under dilation d;
/// - effective stride (jump) S: how far apart in the input neighbouring units' fields start, S_l = S_{l−1}·s_l;
/// - effective padding P: how far the first unit's field starts before the image, P_l = P_{l−1} + p_l·S_{l−1}
///   (p_l the leading padding of layer l), the forward form of the paper's P_{l−1} = s_l·P_l + p_l.
///
/// Unit u then sees input positions [u·S − P, u·S − P + r − 1] on each axis.
public struct ReceptiveField: Sendable, Equatable, CustomStringConvertible {
    public var size: Pair
    public var jump: Pair
    public var padding: Pair

    public init(size: Pair, jump: Pair, padding: Pair) {
        self.size = size; self.jump = jump; self.padding = padding
    }

    /// The input itself: each pixel sees itself.
    public static let input = ReceptiveField(size: .one, jump: .one, padding: Pair(0, 0))

    /// The field after a sliding-window layer (convolution or pooling) with leading padding `before`
    /// (top, left).
    public func through(kernel: Pair, stride: Pair, dilation: Pair = .one, before: Pair) -> ReceptiveField {
        let span = Pair(dilation.y * (kernel.y - 1) + 1, dilation.x * (kernel.x - 1) + 1)
        return ReceptiveField(size: Pair(size.y + (span.y - 1) * jump.y, size.x + (span.x - 1) * jump.x),
                              jump: Pair(jump.y * stride.y, jump.x * stride.x),
                              padding: Pair(padding.y + before.y * jump.y, padding.x + before.x * jump.x))
    }

    /// Input rows and columns seen by unit (y, x); they may reach outside the image (into padding).
    public func span(ofUnit y: Int, _ x: Int) -> (rows: ClosedRange<Int>, columns: ClosedRange<Int>) {
        let top = y * jump.y - padding.y, left = x * jump.x - padding.x
        return (top...(top + size.y - 1), left...(left + size.x - 1))
    }

    /// Twice the offset of the field's centre from u·S: (r − 1) − 2P per axis. Two fields with the
    /// same jump and the same doubled centre are aligned (their units' fields share a centre).
    var doubledCentre: Pair { Pair(size.y - 1 - 2 * padding.y, size.x - 1 - 2 * padding.x) }

    /// The field of a node that joins branches (Add, Concat): defined when all branches have the same
    /// jump and centre, and then the largest of them (the union of aligned fields); nil when they are
    /// not aligned, where no single size, stride and padding describes every unit.
    public static func merged(_ fields: [ReceptiveField]) -> ReceptiveField? {
        guard let first = fields.first else { return nil }
        for f in fields.dropFirst() where f.jump != first.jump || f.doubledCentre != first.doubledCentre { return nil }
        return fields.max { $0.size.y * $0.size.x < $1.size.y * $1.size.x }
    }

    public var description: String { "\(size.y)×\(size.x) px, effective stride \(jump), effective padding \(padding)" }
}
