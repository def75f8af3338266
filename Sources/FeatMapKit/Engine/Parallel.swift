import Dispatch
import Foundation
import Synchronization
import CVectorMath
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

    /// Marks threads that run a model's pass: there `forEachChunk` uses the `WorkerPool`, whose helpers
    /// poll for the next loop. Elsewhere (the `apply` pipeline, whose decoder and encoder threads need
    /// the cores between the filter's loops) it uses Dispatch, whose threads sleep at once.
    private static let pooledKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` with `forEachChunk` on the worker pool on this thread (a model's forward pass: a few
    /// hundred short loops one after the other).
    static func pooled<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(pooledKey)
        pthread_setspecific(pooledKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(pooledKey, previous) }
        return try body()
    }

    /// Runs `body` with `forEachChunk` inline on this thread.
    public static func serially<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, previous) }
        return try body()
    }

    /// Runs `body` over 0..<count split into a few large contiguous chunks, one per worker,
    /// rather than one task per item. The chunks are the same whichever thread runs them, so results do
    /// not depend on the scheduling.
    static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: @escaping @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = pthread_getspecific(serialKey) != nil ? 1 : max(1, min(workers, count / max(1, minimumChunk)))
        if chunks == 1 { body(0..<count); return }
        let run: @Sendable (Int) -> Void = { i in
            let lo = count * i / chunks, hi = count * (i + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
        if pthread_getspecific(pooledKey) != nil, let pool = WorkerPool.shared, pool.run(chunks: chunks, run) { return }
        // Not in a model's pass, or the pool is taken (a call from another thread, or from inside one
        // of its chunks): Dispatch.
        DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
    }
}

/// The threads that run `Parallel.forEachChunk`'s chunks beside the calling thread. A CNN's pass is a
/// few hundred short parallel loops (one or more per node, 0.02–1 ms each); with Dispatch each loop
/// woke a sleeping thread, and on 2 cores MobileNet v2 ran no faster on two threads than on one. Here
/// a helper that has finished a loop polls for the next for 100 µs (with the CPU's spin-wait hint)
/// before it sleeps, so a loop that follows soon starts on all cores
/// at once. One caller at a time: `run` returns false when the pool is busy, and the caller uses Dispatch.
final class WorkerPool: @unchecked Sendable {
    /// nil with one worker.
    static let shared: WorkerPool? = Parallel.workers > 1 ? WorkerPool(helpers: Parallel.workers - 1) : nil

    /// How long a helper polls for the next loop before it sleeps.
    static let pollNanoseconds: UInt64 = 100_000

    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// generation (32 bits) | chunks (16 bits) | next chunk to claim (16 bits). A chunk is claimed by
    /// compare-and-swap on the whole word, so a helper that read an older generation cannot claim one
    /// of a newer loop's chunks for the older loop's body.
    private let ticket = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    /// The loop's body: set before its generation is published, read only by a thread that has claimed
    /// one of its chunks (so the loop is still running), cleared when every chunk has finished.
    private var body: (@Sendable (Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()

    private init(helpers: Int) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for _ in 0..<helpers {
            let thread = Thread { [unowned self] in self.helperLoop() }
            thread.name = "featmap-worker"
            thread.start()
        }
    }

    private static func generation(_ t: UInt64) -> UInt64 { t >> 32 }
    private static func chunks(_ t: UInt64) -> Int { Int((t >> 16) & 0xFFFF) }
    private static func next(_ t: UInt64) -> Int { Int(t & 0xFFFF) }

    /// Runs body(0) … body(chunks − 1) on this thread and the helpers; false (nothing run) when the pool
    /// is busy or `chunks` does not fit the ticket.
    func run(chunks: Int, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
        guard chunks < 0xFFFF, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        self.body = body
        finished.store(0, ordering: .relaxed)
        let old = ticket.load(ordering: .relaxed)
        let generation = (Self.generation(old) + 1) & 0xFFFF_FFFF
        ticket.store(generation << 32 | UInt64(chunks) << 16, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
        }
        claimAndRun(generation: generation)
        // The other chunks are running: poll with the pause hint, and after a millisecond (a helper
        // that lost its core) give the core away between polls.
        var polls = 0, since: UInt64 = 0
        while finished.load(ordering: .acquiring) < chunks {
            fm_spin_pause()
            polls += 1
            if polls & 255 == 0 {
                let t = Self.now()
                if since == 0 { since = t } else if t - since > 1_000_000 { sched_yield() }
            }
        }
        self.body = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs chunks of loop `generation` until none is left.
    private func claimAndRun(generation: UInt64) {
        var t = ticket.load(ordering: .acquiring)
        while Self.generation(t) == generation && Self.next(t) < Self.chunks(t) {
            let (claimed, current) = ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing)
            if claimed {
                runClaimed(Self.next(t))
                finished.add(1, ordering: .releasing)
                t = ticket.load(ordering: .acquiring)
            } else {
                t = current
            }
        }
    }

    /// One claimed chunk; the reference to the body ends here, before the chunk is counted as finished.
    @inline(never)
    private func runClaimed(_ chunk: Int) {
        body!(chunk)
    }

    private func helperLoop() {
        var seen = Self.generation(ticket.load(ordering: .acquiring))
        while true {
            var polls = 0, since = Self.now()
            var t = ticket.load(ordering: .acquiring)
            while Self.generation(t) == seen {
                fm_spin_pause()
                polls += 1
                if polls & 63 == 0 && Self.now() - since > Self.pollNanoseconds {
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_lock(&mutex)
                    while Self.generation(ticket.load(ordering: .sequentiallyConsistent)) == seen {
                        pthread_cond_wait(&wake, &mutex)
                    }
                    pthread_mutex_unlock(&mutex)
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    polls = 0
                    since = Self.now()
                }
                t = ticket.load(ordering: .acquiring)
            }
            seen = Self.generation(t)
            claimAndRun(generation: seen)
        }
    }
}
