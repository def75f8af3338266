import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A pointer handed to parallel workers that each write a disjoint part of it.
struct SendablePointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

struct SendableConstPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
    init(_ base: UnsafePointer<T>) { self.base = base }
}

enum Parallel {
    /// Worker count: the machine's active cores, or FEATMAP_THREADS when set.
    static let workers: Int = {
        if let s = getenv("FEATMAP_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// Runs `body` over 0..<count split into a few large contiguous chunks, one per worker,
    /// rather than one task per item.
    static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = max(1, min(workers, count / max(1, minimumChunk)))
        if chunks == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let lo = count * i / chunks, hi = count * (i + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
