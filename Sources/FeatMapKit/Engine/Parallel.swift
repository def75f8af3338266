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

public enum Parallel {
    /// Worker count: the machine's active cores, or FEATMAP_THREADS when set (a user setting, in the
    /// README: to leave cores free on a shared machine).
    static let workers: Int = {
        if let s = getenv("FEATMAP_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// Marks threads whose work is already one of several jobs running side by side (the batch
    /// runner's workers): on them `forEachChunk` runs inline, because splitting a small job again
    /// only adds thread wake-ups (measurements: docs/benchmark.md#no-second-split-inside-batch-jobs).
    private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with `forEachChunk` inline on this thread.
    public static func serially<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, previous) }
        return try body()
    }

    /// Runs `body` over 0..<count split into a few large contiguous chunks, one per worker,
    /// rather than one task per item.
    static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = pthread_getspecific(serialKey) != nil ? 1 : max(1, min(workers, count / max(1, minimumChunk)))
        if chunks == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let lo = count * i / chunks, hi = count * (i + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
