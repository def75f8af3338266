/// Float buffers of tens or hundreds of megabytes: feature maps at 2048² (64 × 1023² floats is
/// 268 MB) and their concatenations. They are handed out uninitialised, because zero-filling them
/// is a full extra pass over memory that the caller overwrites anyway.
///
/// They are not advised as transparent huge pages: the first touch of each 2 MB page stalls, which
/// made forward passes slower and erratic (measurements: docs/benchmark.md#freed-memory-kept-in-the-process).
import CCodecs

public enum LargeBuffer {
    /// Keeps freed buffers (feature maps, bands of rows) in the process instead of handing them back
    /// to the kernel. This sets glibc's malloc options for the whole process, so it is the program's
    /// call, not the library's: featmap makes it once before running a batch.
    ///
    /// glibc serves blocks above its mmap threshold (at most 32 MB by default) with a fresh mmap and
    /// unmaps them on free, so every layer of a forward pass at 1024² or 2048², and every band of
    /// `apply`, would write into pages the kernel has to fault in and zero one 4 KB page at a time.
    /// With the heap used for every size and not trimmed, a layer's output reuses the pages of the
    /// tensors freed before it, and peak memory does not grow; what a run frees stays mapped until the
    /// process ends, which suits a command-line tool.
    /// (Measurements: docs/benchmark.md#freed-memory-kept-in-the-process.)
    public static func keepFreedMemory() { _ = keepFreed }
    private static let keepFreed: Bool = fm_keep_freed_memory() == 1

    /// A [Float] of `count` elements left uninitialised: the caller must write every element before
    /// reading any.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
