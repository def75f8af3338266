/// The memory plan of a file's N samples: they run one after another, each as its own pass, so the
/// peak is one sample's pass (`peakActivationBytes`), plus the N samples' input held throughout, plus what
/// the caller keeps of every sample until the end (the N-sample arrays of `layers --npy`).
extension Graph {
    /// Peak bytes of running `count` samples of shape `sample` ([C, H, W]) one by one, the whole input held,
    /// keeping the first output of each node in `keeping` for every sample. The pass stops after `last`.
    public func batchPeakBytes(sample: [Int], count: Int, last: Int? = nil, keeping: Set<Int> = []) throws -> Int {
        let shape = inputShape.count == 4 && sample.count == 3 ? [1] + sample : sample
        let prepared = try self.prepared(inputShape: shape)
        var end = min(last ?? nodes.count - 1, nodes.count - 1)
        if let failure = prepared.failure, failure.node <= end { end = failure.node - 1 }
        func bytes(_ s: [Int]) -> Int {
            var n = MemoryLayout<Float>.size
            for d in s {
                let (p, o) = n.multipliedReportingOverflow(by: d)
                if o { return Int.max }
                n = p
            }
            return n
        }
        func plus(_ a: Int, _ b: Int) -> Int { let (s, o) = a.addingReportingOverflow(b); return o ? Int.max : s }
        func times(_ a: Int, _ b: Int) -> Int { let (s, o) = a.multipliedReportingOverflow(by: b); return o ? Int.max : s }
        var total = plus(peakActivationBytes(prepared, through: end), times(bytes(sample), count))
        for i in keeping.sorted() where i <= end && !prepared.foldedNodes.contains(i) {
            guard let out = nodes[i].outputs.first, let s = prepared.shapes[out] else { continue }
            total = plus(total, times(bytes(s), count))
        }
        return total
    }

    /// Refuses, before anything runs, `count` samples whose `batchPeakBytes` exceed `memoryLimit`.
    public func checkBatchMemory(sample: [Int], count: Int, last: Int? = nil, keeping: Set<Int> = [],
                                 kept: String = "") throws {
        guard let limit = memoryLimit else { return }
        let peak = try batchPeakBytes(sample: sample, count: count, last: last, keeping: keeping)
        guard peak > limit else { return }
        throw ModelError.badInput("\(count) samples of \(sample) need \(ByteCount(peak)) at the peak (one sample's pass, the \(count) samples' input\(kept)), more than --max-memory \(ByteCount(limit)); use fewer samples per file, a smaller input, --upto an earlier layer, or a larger --max-memory")
    }
}
