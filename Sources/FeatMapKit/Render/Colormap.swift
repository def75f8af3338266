/// A 256-entry colour lookup table. Lookup follows matplotlib's `Colormap.__call__`:
/// t ∈ [0, 1] picks entry min(255, ⌊256 t⌋); values outside [0, 1] are clamped.
/// Tables come from matplotlib (see ColormapTables.swift and Tests/scripts/render_fixtures.py).
public struct Colormap: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    /// A diverging map is meant to be centred on zero: t = 0.5 is "nothing", the ends are ±max|v|.
    public let isDiverging: Bool
    let table: [UInt8]

    init(name: String, isDiverging: Bool, table: [UInt8]) {
        precondition(table.count == 768, "a colormap table has 256 RGB entries")
        self.name = name
        self.isDiverging = isDiverging
        self.table = table
    }

    public static let grey = Colormap(name: "grey", isDiverging: false, table: ColormapTables.grey)
    /// Perceptually uniform and still ordered when printed in grey (van der Walt & Smith, CC0).
    public static let viridis = Colormap(name: "viridis", isDiverging: false, table: ColormapTables.viridis)
    public static let magma = Colormap(name: "magma", isDiverging: false, table: ColormapTables.magma)
    /// matplotlib's RdBu_r: blue for negative, near-white for zero, red for positive.
    public static let rdbu = Colormap(name: "rdbu", isDiverging: true, table: ColormapTables.rdbu)
    public static let coolwarm = Colormap(name: "coolwarm", isDiverging: true, table: ColormapTables.coolwarm)

    /// The map used for signed values unless the user picks another.
    public static let diverging = rdbu

    public static let all: [Colormap] = [.grey, .viridis, .magma, .rdbu, .coolwarm]
    public static var names: [String] { all.map(\.name) }

    /// Looks a map up by name, case-insensitively; also accepts matplotlib's spellings
    /// "gray", "RdBu_r" and the generic "diverging".
    public static func named(_ name: String) throws -> Colormap {
        let key = name.lowercased()
        switch key {
        case "gray": return .grey
        case "rdbu_r", "diverging": return .rdbu
        default:
            guard let map = all.first(where: { $0.name == key }) else { throw RenderError.unknownColormap(name) }
            return map
        }
    }

    /// Table index for t, as matplotlib computes it; NaN gives entry 0 (callers draw NaN apart).
    @inline(__always) public func index(at t: Float) -> Int {
        guard t > 0 else { return 0 }
        return t >= 1 ? 255 : min(255, Int(t * 256))
    }

    public func color(at t: Float) -> (UInt8, UInt8, UInt8) {
        let i = index(at: t) * 3
        return (table[i], table[i + 1], table[i + 2])
    }

    public func rgb(at t: Float) -> RGB {
        let c = color(at: t)
        return RGB(c.0, c.1, c.2)
    }

    public func entry(_ i: Int) -> RGB {
        let k = max(0, min(255, i)) * 3
        return RGB(table[k], table[k + 1], table[k + 2])
    }

    public var description: String { name }
}
