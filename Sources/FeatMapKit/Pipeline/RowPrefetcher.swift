import Foundation

/// Decodes an image's rows on its own thread, a few chunks ahead of the consumer, so that decoding
/// the next band overlaps filtering this one (the filter's workers and the encoder thread keep the
/// cores busy meanwhile). The rows come out in order and are the reader's own, unchanged; the thread
/// reads to the end of the image, so a damaged end of file fails the run as it does when reading
/// directly. At most `depth` chunks wait, which keeps memory bounded.
final class RowPrefetcher: @unchecked Sendable {
    private let reader: ImageReader
    private let rowSamples: Int
    private let chunkRows: Int
    private let depth: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var ready: [[Float]] = []
    private var failure: (any Error)?
    private var finished = false
    private var cancelled = false
    // Consumer side only.
    private var current: [Float] = []
    private var offset = 0

    init(_ reader: ImageReader, chunkRows: Int = 16, depth: Int = 4) {
        self.reader = reader
        rowSamples = reader.header.width * reader.header.channels
        self.chunkRows = max(1, chunkRows)
        self.depth = max(1, depth)
        // The thread holds `self` (and so the reader) until it ends; `self` must not hold the thread,
        // or the two keep each other, the reader, its copy of the file and the decoder alive forever.
        // A consumer that stops early calls cancel(), which ends the thread after its current chunk.
        let thread = Thread { [self] in produce() }
        thread.name = "featmap.decoder"
        thread.start()
    }

    private func produce() {
        while true {
            condition.lock()
            while ready.count >= depth && !cancelled { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop || reader.rowsRemaining == 0 { break }
            do {
                let rows = try reader.readRows(chunkRows)
                condition.lock()
                ready.append(rows)
                condition.broadcast()
                condition.unlock()
            } catch {
                condition.lock()
                failure = error
                condition.unlock()
                break
            }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, waiting for the thread; nil at the end of the image. Throws the decoder's error
    /// once the rows before it are consumed.
    private func nextChunk() throws -> [Float]? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        if !ready.isEmpty {
            let chunk = ready.removeFirst()
            condition.broadcast()
            return chunk
        }
        if let failure { throw failure }
        return nil
    }

    /// Copies the next `count` rows into `destination` (count × width × channels samples).
    func readRows(_ count: Int, into destination: UnsafeMutablePointer<Float>) throws {
        var needed = count * rowSamples, written = 0
        while needed > 0 {
            if offset == current.count {
                guard let chunk = try nextChunk() else {
                    throw CodecError(.invalidArgument, source: reader.source,
                                     message: "asked for rows past the end of the image; this is a bug in featmap")
                }
                current = chunk
                offset = 0
            }
            let n = min(needed, current.count - offset)
            current.withUnsafeBufferPointer { src in
                (destination + written).update(from: src.baseAddress! + offset, count: n)
            }
            offset += n; written += n; needed -= n
        }
    }

    /// Skips `count` rows.
    func skipRows(_ count: Int) throws {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count * rowSamples))
        defer { scratch.deallocate() }
        try readRows(count, into: scratch)
    }

    /// Waits until the thread has read the whole image; throws its error if it met one.
    func finish() throws {
        while try nextChunk() != nil {}
    }

    /// Stops the thread after its current chunk (an early error on the consumer's side).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
