import Testing
@testable import FeatMapKit

/// Max pooling takes a branch-free loop for the columns whose window lies inside the image (and
/// spelled-out 3/2, 2/2 and 3/1 windows). It must give what the plain definition gives: the largest
/// value over the window's cells inside the image, for every kernel, stride, padding and ceil mode.
@Suite struct PoolingFastPathTests {
    /// The definition, cell by cell.
    static func reference(_ x: [Float], c: Int, h: Int, w: Int, pool: Pooling) throws -> [Float] {
        let out = try pool.outputSize(height: h, width: w)
        var result: [Float] = []
        for ch in 0..<c { for oy in 0..<out.y { for ox in 0..<out.x {
            var best: Float? = nil
            for ky in 0..<pool.kernel.y { for kx in 0..<pool.kernel.x {
                let y = oy * pool.stride.y - pool.padding.top + ky * pool.dilation.y
                let xx = ox * pool.stride.x - pool.padding.left + kx * pool.dilation.x
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let v = x[(ch * h + y) * w + xx]
                best = best.map { v > $0 ? v : $0 } ?? v
            } }
            result.append(best ?? 0)
        } } }
        return result
    }

    @Test(arguments: [(3, 2), (2, 2), (3, 1), (4, 3), (1, 1), (5, 2)])
    func maxPoolingMatchesTheDefinition(kernel: Int, stride: Int) throws {
        // A deterministic pseudo-random 3×37×41 input with repeated values (ties) and negatives.
        let (c, h, w) = (3, 37, 41)
        var seed: UInt32 = 12345
        let x = (0..<(c * h * w)).map { _ -> Float in
            seed = seed &* 1_103_515_245 &+ 12345
            return Float(Int(seed >> 16) % 200) - 100
        }
        for padding in [Padding.none, Padding(top: 1, bottom: 1, left: 1, right: 1), Padding(top: 0, bottom: 2, left: 2, right: 0)] {
            for ceil in [false, true] where padding.left < kernel && padding.top < kernel {
                let pool = Pooling(kind: .max, kernel: Pair(both: kernel), stride: Pair(both: stride), padding: padding, ceilMode: ceil)
                let got = try pool.applied(to: Tensor(shape: [c, h, w], storage: x))
                #expect(got.storage == (try Self.reference(x, c: c, h: h, w: w, pool: pool)),
                        "k\(kernel) s\(stride) \(padding) ceil \(ceil)")
            }
        }
    }
}
