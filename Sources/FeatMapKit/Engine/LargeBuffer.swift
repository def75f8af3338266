/// Float buffers of tens or hundreds of megabytes: feature maps at 2048² (64 × 1023² floats is
/// 268 MB) and their concatenations. They are handed out uninitialised, because zero-filling them
/// is a full extra pass over memory that the caller overwrites anyway.
///
/// Tried and dropped: advising such buffers as transparent huge pages (madvise MADV_HUGEPAGE) made
/// SqueezeNet's forward pass through fire3 at 2048² slower and erratic on the 2-core benchmark
/// machine (590–830 ms against 495–550 ms without), the first touch of each 2 MB page stalling.
enum LargeBuffer {
    /// A [Float] of `count` elements left uninitialised: the caller must write every element before
    /// reading any.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
