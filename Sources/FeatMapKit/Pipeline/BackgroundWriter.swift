import Dispatch
import Foundation

/// Runs a consumer (an encoder writing bands of rows) on its own thread, so that compressing one
/// band overlaps filtering the next. At most `depth` items wait; `submit` blocks beyond that, which
/// keeps memory bounded. Items are consumed in submission order. The first error the consumer throws
/// is rethrown by the next `submit` or by `finish`, and later items are dropped.
public final class BackgroundWriter<Item: Sendable>: @unchecked Sendable {
    private let queue = DispatchQueue(label: "featmap.background-writer")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: (any Error)?
    // Only ever called on `queue`, one item at a time.
    private let consume: (Item) throws -> Void

    public init(depth: Int = 2, _ consume: @escaping (Item) throws -> Void) {
        slots = DispatchSemaphore(value: max(1, depth))
        self.consume = consume
    }

    private var firstFailure: (any Error)? {
        lock.lock(); defer { lock.unlock() }
        return failure
    }

    public func submit(_ item: Item) throws {
        if let failure = firstFailure { throw failure }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard firstFailure == nil else { return }
            do { try consume(item) } catch {
                lock.lock(); failure = error; lock.unlock()
            }
        }
    }

    /// Waits for every submitted item; rethrows the consumer's first error.
    public func finish() throws {
        queue.sync {}
        if let failure = firstFailure { throw failure }
    }
}
