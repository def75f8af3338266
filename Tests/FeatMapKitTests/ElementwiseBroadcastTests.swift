import Testing
@testable import FeatMapKit

/// Broadcasting merges axes and picks one of four loops per run; these tests compare it with the
/// definition, element by element: out[i] = f(a[i mapped onto a's shape], b[i mapped onto b's shape]).
struct ElementwiseBroadcastTests {
    /// The definition of NumPy broadcasting, one output element at a time.
    static func reference(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> [Float] {
        let shape = Elementwise.broadcastShape(a.shape, b.shape)!
        let count = shape.reduce(1, *)
        func element(_ t: Tensor, _ index: [Int]) -> Float {
            let offset = index.count - t.shape.count
            var flat = 0
            for (axis, size) in t.shape.enumerated() { flat = flat * size + (size == 1 ? 0 : index[axis + offset]) }
            return t.storage[flat]
        }
        return (0..<count).map { i in
            var index = [Int](repeating: 0, count: shape.count), rest = i
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                index[axis] = rest % shape[axis]
                rest /= shape[axis]
            }
            return f(element(a, index), element(b, index))
        }
    }

    static func tensor(_ shape: [Int], seed: Int) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<n).map { Float(($0 * 7919 + seed * 104_729) % 1009) / 97 - 5 })
    }

    static let pairs: [([Int], [Int])] = [
        ([1, 32, 7, 7], [1, 32, 1, 1]),       // a squeeze-and-excitation gate
        ([1, 32, 1, 1], [1, 32, 7, 7]),       // the same, operands swapped
        ([2, 3, 4, 5], [2, 3, 4, 5]),         // one shape: a single run
        ([2, 3, 4, 5], [5]),                  // a row against every row
        ([2, 3, 4, 5], [3, 1, 1]),            // fewer axes, channel-wise
        ([2, 1, 4, 1], [1, 3, 1, 5]),         // both stretched, on different axes
        ([4, 1], [1, 6]),                     // an outer product
        ([3, 4], []),                         // a scalar
        ([1, 1, 1], [1]),                     // one element
        ([2, 0, 3], [1, 3]),                  // empty
        ([1, 24, 96, 96], [24, 1, 1]),         // large enough to split over the workers
        ([1, 64, 56, 56], [1, 64, 56, 56]),   // a residual Add, split too
        ([2, 1, 30, 300], [2, 20, 30, 1]),     // stretched rows of a large output
    ]

    @Test("each operation equals the definition of broadcasting", arguments: Array(pairs.indices))
    func operationsMatchDefinition(pair: Int) throws {
        let (sa, sb) = Self.pairs[pair]
        let a = Self.tensor(sa, seed: 1), b = Self.tensor(sb, seed: 2)
        let cases: [(Elementwise, (Float, Float) -> Float)] = [(.add, +), (.subtract, -), (.multiply, *), (.divide, /)]
        for (kind, f) in cases {
            let got = try kind.applied(a, b)
            #expect(got.shape == Elementwise.broadcastShape(sa, sb))
            let want = Self.reference(a, b, f)
            let same = zip(got.storage, want).allSatisfy { $0.bitPattern == $1.bitPattern }
            #expect(got.storage.count == want.count && same, "\(kind) of \(sa) and \(sb)")
        }
        let custom = try Elementwise.broadcast(a, b) { x, y in x < 0 ? x * y : x - 2 * y }
        #expect(custom.storage == Self.reference(a, b) { x, y in x < 0 ? x * y : x - 2 * y })
    }

    @Test func shapesThatDoNotBroadcastAreRefused() {
        #expect(throws: EngineError.self) {
            try Elementwise.add.applied(Self.tensor([2, 3], seed: 1), Self.tensor([4], seed: 2))
        }
    }
}
