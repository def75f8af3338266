import Foundation

/// The padding a user asks for: `same` (output as large as the input at stride 1, placed by the
/// kernel's anchor), `valid` (none), one count for every side, or top, bottom, left, right.
public enum PaddingChoice: Sendable, Equatable {
    case same, valid
    case uniform(Int)
    case explicit(Padding)

    /// "same", "valid", "N" or "T,B,L,R".
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "same" { self = .same; return }
        if t == "valid" { self = .valid; return }
        let parts = t.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 1 || parts.count == 4, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw EngineError.invalidParameter("padding '\(text)' is not understood; use same, valid, a count such as 2, "
                                               + "or top,bottom,left,right such as 1,1,0,0")
        }
        let n = parts.compactMap { $0 }
        self = n.count == 1 ? .uniform(n[0]) : .explicit(Padding(top: n[0], bottom: n[1], left: n[2], right: n[3]))
    }

    /// The cells added on each side for `kernel`. `same` puts dilation·anchor cells before the image
    /// and the rest of the span after it, so with the default anchor (k/2) an even kernel k = 4 pads
    /// 2 before and 1 after, as OpenCV's filter2D.
    public func padding(for kernel: Kernel, dilation: Pair) throws -> Padding {
        switch self {
        case .same:
            guard dilation.y >= 1, dilation.x >= 1 else {
                throw EngineError.invalidParameter("dilation must be at least 1 (got \(dilation)); use --dilation 1 or more")
            }
            let a = kernel.effectiveAnchor
            return Padding.same(kernelHeight: kernel.height, kernelWidth: kernel.width,
                                dilation: (dilation.y, dilation.x), anchor: (a.y, a.x))
        case .valid: return .none
        case .uniform(let n): return Padding(all: n)
        case .explicit(let p): return p
        }
    }
}
