import FeatMapKit
import Testing

/// `--shard K/N`'s selection: the N parts of a list cover it exactly once, in order.
@Suite struct ShardTests {
    @Test(arguments: [10, 11])
    func partsCoverTheListOnceDisjointAndInOrder(length: Int) throws {
        let paths = (0..<length).map { "in/img\($0).png" }
        for n in 1...4 {
            var seen: [String: Int] = [:]
            var sizes: [Int] = []
            for k in 1...n {
                let part = try Shard(parsing: "\(k)/\(n)").select(paths)
                sizes.append(part.count)
                // In list order: positions strictly increase.
                let positions = part.map { paths.firstIndex(of: $0)! }
                #expect(positions == positions.sorted() && Set(positions).count == positions.count)
                // Hand rule: position i is in part i mod n + 1.
                #expect(positions.allSatisfy { $0 % n == k - 1 }, "\(k)/\(n): \(positions)")
                for p in part { seen[p, default: 0] += 1 }
            }
            #expect(seen.count == length && seen.values.allSatisfy { $0 == 1 }, "N = \(n)")
            #expect(sizes.max()! - sizes.min()! <= 1, "N = \(n): \(sizes)")
        }
    }

    @Test func handWorkedParts() throws {
        // 10 inputs in 4 parts: 0 4 8 | 1 5 9 | 2 6 | 3 7.
        #expect(try Shard(parsing: "1/4").positions(total: 10) == [0, 4, 8])
        #expect(try Shard(parsing: "2/4").positions(total: 10) == [1, 5, 9])
        #expect(try Shard(parsing: "3/4").positions(total: 10) == [2, 6])
        #expect(try Shard(parsing: "4/4").positions(total: 10) == [3, 7])
        #expect(try Shard(parsing: "1/1").positions(total: 3) == [0, 1, 2])
        #expect(try Shard(parsing: "5/8").positions(total: 3) == [])
        #expect(Shard.all.positions(total: 2) == [0, 1])
    }

    @Test(arguments: ["0/3", "4/3", "3", "a/b", "2/0", "-1/2", "1/-2", "1/2/3", "/2", "1/", ""])
    func badValuesAreRefused(text: String) {
        #expect(throws: ShardError.self) { try Shard(parsing: text) }
    }
}
