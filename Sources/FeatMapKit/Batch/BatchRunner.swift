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
    /// What a person reads for this input instead of the default line (a prediction, a table).
    public var text: String?
    /// A complete JSON object for this input that replaces the default one (a command whose
    /// report has its own documented shape, such as `layers`).
    public var json: String?
    /// The top class, for `predict`.
    public var prediction: Prediction?
    /// Which sample of an [N, C, H, W] input the report is of, for `predict`.
    public var sample: Int?

    public struct Prediction: Sendable {
        public var className: String, index: Int, probability: Float
        public init(className: String, index: Int, probability: Float) {
            self.className = className; self.index = index; self.probability = probability
        }
    }

    public struct Statistics: Sendable, Encodable {
        public var min: Float, mean: Float, max: Float
        public init(min: Float, mean: Float, max: Float) { self.min = min; self.mean = mean; self.max = max }
    }

    public init(input: String) { self.input = input }

    enum CodingKeys: String, CodingKey {
        case input, outputs, width, height, milliseconds = "ms", statistics, error, skipped
        case className = "class", index, probability, sample
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(input, forKey: .input)
        if let error { try c.encode(error, forKey: .error); return }
        if let prediction {
            try c.encode(prediction.className, forKey: .className)
            try c.encode(prediction.index, forKey: .index)
            try c.encode((Double(prediction.probability) * 1e6).rounded() / 1e6, forKey: .probability)
        } else {
            try c.encode(outputs, forKey: .outputs)
        }
        try c.encodeIfPresent(width, forKey: .width)
        try c.encodeIfPresent(height, forKey: .height)
        try c.encode((milliseconds * 10).rounded() / 10, forKey: .milliseconds)
        try c.encodeIfPresent(statistics, forKey: .statistics)
        if skipped { try c.encode(true, forKey: .skipped) }
        try c.encodeIfPresent(sample, forKey: .sample)
    }

    /// Runs one input's work, timing it; a thrown error becomes the report's error line,
    /// prefixed with the input's name unless the message already starts with it.
    public static func measuring(_ input: String, outputs: [String] = [], _ work: (inout BatchReport) throws -> Void) -> BatchReport {
        var report = BatchReport(input: input)
        report.outputs = outputs
        let start = DispatchTime.now()
        do {
            try work(&report)
        } catch {
            let message = String(describing: error)
            let source = input == "-" ? "standard input" : input
            report.error = message.hasPrefix(source) ? message : "\(source): \(message)"
        }
        report.milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        return report
    }

    /// The report as one line of JSON.
    public var jsonLine: String {
        if let json { return json }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{\"input\":\"?\"}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Runs one job per input, or per group of consecutive inputs, on `jobs` workers. Each worker takes
/// the next job when it is free, so memory is bounded by the work in flight, not by the number of
/// inputs, and each output depends only on its own input: a parallel run writes the same bytes as a
/// serial one. With `ordered`, reports are handed on in input order (workers run at most a small
/// window of jobs ahead of the oldest unfinished one); otherwise as each job finishes.
public final class BatchRunner: @unchecked Sendable {
    public let jobs: Int
    public let ordered: Bool
    private let condition = NSCondition()
    private var next = 0
    private var nextToEmit = 0
    private var waiting: [Int: [BatchReport]] = [:]
    public private(set) var succeeded = 0
    public private(set) var failed = 0
    public private(set) var skipped = 0

    public init(jobs: Int, ordered: Bool = false) {
        self.jobs = max(1, jobs)
        self.ordered = ordered
    }

    private var window: Int { 4 * jobs }

    /// Calls `job(i)` for every i in 0..<count, and `finished` (serialised) as each completes.
    public func run(count: Int, job: @escaping @Sendable (Int) -> BatchReport,
                    finished: @escaping @Sendable (BatchReport, _ done: Int) -> Void) {
        run(count: count, groupSize: 1, job: { [job($0.lowerBound)] }, finished: finished)
    }

    /// Calls `job(range)` for consecutive ranges of at most `groupSize` of 0..<count (one job per range,
    /// which must return one report per index of its range, in order), and `finished` (serialised) for
    /// every report. A group's inputs share one job, so that it can run them together (`predict`'s
    /// batched passes); ordered output stays in input order.
    public func run(count: Int, groupSize: Int, job: @escaping @Sendable (Range<Int>) -> [BatchReport],
                    finished: @escaping @Sendable (BatchReport, _ done: Int) -> Void) {
        let size = max(1, groupSize)
        let groups = (count + size - 1) / size
        let range: @Sendable (Int) -> Range<Int> = { g in (g * size)..<min(count, (g + 1) * size) }
        let workers = min(jobs, groups)
        if workers <= 1 {
            for g in 0..<groups { record(g, job(range(g)), finished) }
            return
        }
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                // The workers already keep the cores busy: no second split inside each job.
                Parallel.serially {
                    while let g = take(groups) { record(g, job(range(g)), finished) }
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
    }

    private func take(_ count: Int) -> Int? {
        condition.lock(); defer { condition.unlock() }
        while ordered && next < count && next >= nextToEmit + window { condition.wait() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    private func record(_ index: Int, _ reports: [BatchReport], _ finished: @Sendable (BatchReport, Int) -> Void) {
        condition.lock(); defer { condition.unlock() }
        guard ordered else { for r in reports { emit(r, finished) }; return }
        waiting[index] = reports
        while let rs = waiting.removeValue(forKey: nextToEmit) {
            for r in rs { emit(r, finished) }
            nextToEmit += 1
        }
        condition.broadcast()
    }

    private func emit(_ report: BatchReport, _ finished: @Sendable (BatchReport, Int) -> Void) {
        if report.error != nil { failed += 1 } else if report.skipped { skipped += 1 } else { succeeded += 1 }
        finished(report, succeeded + failed + skipped)
    }
}
