#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Preprocessing values that replace the model's own (the `--size`, `--color`, `--fit`, `--range`,
/// `--mean` and `--std` of `layers`, `predict`, `rf` and `convert`); nil keeps the model's value.
public struct PreprocessingOverrides: Sendable, Equatable {
    public var height: Int?
    public var width: Int?
    public var color: Preprocessing.Color?
    public var fit: Preprocessing.Fit?
    public var range: [Float]?
    public var mean: [Float]?
    public var std: [Float]?

    public init() {}

    /// `base` with every value given here in place of its own (not validated: see `Preprocessing.validated`).
    public func applied(to base: Preprocessing) -> Preprocessing {
        var p = base
        if let height { p.height = height }
        if let width { p.width = width }
        if let color { p.color = color }
        if let fit { p.fit = fit }
        if let range { p.range = range }
        if let mean { p.mean = mean }
        if let std { p.std = std }
        return p
    }
}

extension Graph {
    /// The activation memory a pass may use when none is given: 80% of the machine's physical memory.
    public static var defaultMemoryLimit: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        return Int(Double(pages) * Double(size) * 0.8)
    }
}
