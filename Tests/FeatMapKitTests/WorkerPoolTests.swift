import Foundation
import Synchronization
import Testing
@testable import FeatMapKit

/// `Parallel.forEachChunk` on the worker pool (a model's pass) and on Dispatch: every index is visited
/// exactly once, loop after loop, with helpers polling or asleep, from two threads at once, and nested.
@Suite struct WorkerPoolTests {
    /// Sums i over 0..<count through forEachChunk, each chunk adding its own partial sum.
    static func chunkedSum(_ count: Int, minimumChunk: Int = 1) -> Int {
        let total = Atomic<Int>(0)
        let visits = Atomic<Int>(0)
        withExtendedLifetime(total) {
            Parallel.forEachChunk(count, minimumChunk: minimumChunk) { range in
                var s = 0
                for i in range { s += i }
                total.add(s, ordering: .relaxed)
                visits.add(range.count, ordering: .relaxed)
            }
        }
        #expect(visits.load(ordering: .relaxed) == count)
        return total.load(ordering: .relaxed)
    }

    @Test func manyShortLoopsVisitEveryIndexOnce() {
        Parallel.pooled {
            for n in 1...20_000 {
                let count = n % 97 + 2
                let sum = Self.chunkedSum(count)
                if sum != count * (count - 1) / 2 { Issue.record("loop \(n): sum \(sum) for \(count) items"); return }
            }
        }
    }

    /// Gaps longer than the helpers' polling (100 µs), so that they go to sleep and must be woken.
    @Test func loopsAfterTheHelpersSleep() {
        Parallel.pooled {
            for n in 0..<30 {
                usleep(UInt32(n % 3 == 0 ? 2000 : 50))
                #expect(Self.chunkedSum(1000) == 1000 * 999 / 2)
            }
        }
    }

    /// Two threads in model passes at once: one has the pool, the other's loops go to Dispatch.
    @Test func twoCallersAtOnce() async {
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    Parallel.pooled {
                        (0..<3000).allSatisfy { n in let c = n % 50 + 2; return Self.chunkedSum(c) == c * (c - 1) / 2 }
                    }
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    /// A loop inside a chunk of a loop (the pool is busy: the inner one runs on Dispatch).
    @Test func nestedLoops() {
        Parallel.pooled {
            let inner = Atomic<Int>(0)
            withExtendedLifetime(inner) {
                Parallel.forEachChunk(8) { range in
                    for _ in range { inner.add(Self.chunkedSum(100), ordering: .relaxed) }
                }
            }
            #expect(inner.load(ordering: .relaxed) == 8 * (100 * 99 / 2))
        }
    }
}
