/// Float buffers of tens or hundreds of megabytes: feature maps at 2048² (64 × 1023² floats is
/// 268 MB) and their concatenations. They are handed out uninitialised, because zero-filling them
/// is a full extra pass over memory that the caller overwrites anyway.
///
/// Tried and dropped: advising such buffers as transparent huge pages (madvise MADV_HUGEPAGE) made
/// SqueezeNet's forward pass through fire3 at 2048² slower and erratic on the 2-core benchmark
/// machine (590–830 ms against 495–550 ms without), the first touch of each 2 MB page stalling.
import CCodecs

public enum LargeBuffer {
    /// Keeps freed buffers (feature maps, bands of rows) in the process instead of handing them back
    /// to the kernel. This sets glibc's malloc options for the whole process, so it is the program's
    /// call, not the library's: featmap makes it once before running a batch.
    ///
    /// glibc serves blocks above its mmap threshold (at most 32 MB by default) with a fresh mmap and
    /// unmaps them on free, so every layer of a forward pass at 1024² or 2048² wrote into pages the
    /// kernel had to fault in and zero one 4 KB page at a time: SqueezeNet through fire3 spent about
    /// half its time in page faults (fire2's Concat: 12 ms for 33 MB). With the heap used for
    /// every size and not trimmed, a layer's output reuses the pages of the tensors freed before it.
    /// Peak memory is unchanged (measured: 505 MB both ways at 2048²); what a run frees stays mapped
    /// until the process ends, which suits a command-line tool. The same goes for `apply`'s bands:
    /// each band's arrays came from fresh pages (0.3 s of system time on a 6000×4000 photo, and wall
    /// times that wandered from 0.9 to 3.9 s); with the pages kept, Sobel → JPEG takes 0.65 s.
    public static func keepFreedMemory() { _ = keepFreed }
    private static let keepFreed: Bool = fm_keep_freed_memory() == 1

    /// A [Float] of `count` elements left uninitialised: the caller must write every element before
    /// reading any.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
