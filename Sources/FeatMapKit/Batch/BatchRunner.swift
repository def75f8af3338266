import Foundation

/// What happened to one input of a batch.
public struct BatchReport: Sendable, Encodable {
    public var input: String
    public var outputs: [String] = []
    public var width: Int?
    public var height: Int?
    public var milliseconds: Double = 0
    public var statistics: Statistics?
    public var error: String?
    public var skipped: Bool = false
    /// Extra lines for a person (e.g. a prediction), printed on standard output.
    public var text: String?

    public struct Statistics: Sendable, Encodable {
        public var min: Float, mean: Float, max: Float
        public init(min: Float, mean: Float, max: Float) { self.min = min; self.mean = mean; self.max = max }
    }

    public init(input: String) { self.input = input }

    enum CodingKeys: String, CodingKey { case input, outputs, width, height, milliseconds = "ms", statistics, error, skipped }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        if let error { try c.encode(error, forKey: .error); return }
        try c.encode(outputs, forKey: .outputs)
        try c.encodeIfPresent(width, forKey: .width)
        try c.encodeIfPresent(height, forKey: .height)
        try c.encode((milliseconds * 10).rounded() / 10, forKey: .milliseconds)
        try c.encodeIfPresent(statistics, forKey: .statistics)
        if skipped { try c.encode(true, forKey: .skipped) }
    }

    /// The report as one line of JSON.
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{\"input\":\"?\"}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Runs one job per input on `jobs` workers. Each worker takes the next input when it is
/// free, so memory is bounded by the work in flight, not by the number of inputs, and each
/// output depends only on its own input: a parallel run writes the same bytes as a serial one.
public final class BatchRunner: @unchecked Sendable {
    public let jobs: Int
    private let lock = NSLock()
    private var next = 0
    private var stopped = false
    public private(set) var succeeded = 0
    public private(set) var failed = 0
    public private(set) var skipped = 0

    public init(jobs: Int) { self.jobs = max(1, jobs) }

    /// Calls `job(i)` for every i in 0..<count, and `finished` (serialised) as each completes.
    public func run(count: Int, job: @escaping @Sendable (Int) -> BatchReport,
                    finished: @escaping @Sendable (BatchReport, _ done: Int) -> Void) {
        let workers = min(jobs, count)
        if workers <= 1 {
            for i in 0..<count { record(job(i), finished) }
            return
        }
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                while let i = take(count) { record(job(i), finished) }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
    }

    private func take(_ count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count, !stopped else { return nil }
        next += 1
        return next - 1
    }

    private func record(_ report: BatchReport, _ finished: @Sendable (BatchReport, Int) -> Void) {
        lock.lock(); defer { lock.unlock() }
        if report.error != nil { failed += 1 } else if report.skipped { skipped += 1 } else { succeeded += 1 }
        finished(report, succeeded + failed + skipped)
    }
}
