#if canImport(Glibc)
import Glibc
#endif

/// Float buffers of tens or hundreds of megabytes: feature maps at 2048² (64 × 1023² floats is
/// 268 MB) and their concatenations. Such buffers are fresh mmap'ed memory on every call, so the
/// first write to each 4 KB page faults into the kernel; asking for transparent huge pages (Linux,
/// where THP is often in "madvise" mode) makes that one fault per 2 MB. Measured on SqueezeNet
/// conv1 at 2048² (2 cores): see docs/benchmark.md.
enum LargeBuffer {
    /// A [Float] of `count` elements left uninitialised: the caller must write every element before
    /// reading any.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(UnsafeMutableRawPointer(buffer.baseAddress), bytes: count * MemoryLayout<Float>.stride)
            initialized = count
        }
    }

    /// madvise(MADV_HUGEPAGE) on the whole 2 MB pages inside [p, p + bytes), for buffers over 8 MB.
    static func adviseHugePages(_ p: UnsafeMutableRawPointer?, bytes: Int) {
        #if os(Linux)
        guard let p, bytes >= 8 << 20 else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: p) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: p) + bytes) & ~(huge - 1)
        if end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(aligned, end - start, MADV_HUGEPAGE)
        }
        #endif
    }
}
