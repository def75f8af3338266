import Foundation

/// How feature-map values are turned into colours in a `FeatureGrid`.
public enum GridNormalization: Sendable, Equatable, CustomStringConvertible {
    /// Each map stretched over its own min..max: shows the pattern inside every map, hides which maps are strong.
    case map
    /// One min..max shared by all maps of the layer: strong and weak maps can be compared.
    case layer
    /// A range chosen by the user, the same for every map and every layer (compare layers or images).
    case fixed(Float, Float)

    /// Parses "map", "layer" or "fixed:LO,HI" (LO < HI, both finite).
    public init(parsing text: String) throws {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch s {
        case "map": self = .map
        case "layer": self = .layer
        default:
            guard s.hasPrefix("fixed:") else { throw RenderError.invalidNormalization(text) }
            let parts = s.dropFirst("fixed:".count).split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2,
                  let lo = Float(parts[0].trimmingCharacters(in: .whitespaces)),
                  let hi = Float(parts[1].trimmingCharacters(in: .whitespaces)),
                  lo.isFinite, hi.isFinite, lo < hi
            else { throw RenderError.invalidNormalization(text) }
            self = .fixed(lo, hi)
        }
    }

    public var description: String {
        switch self {
        case .map: return "map"
        case .layer: return "layer"
        case let .fixed(lo, hi): return "fixed:\(NumberText.short(lo)),\(NumberText.short(hi))"
        }
    }
}
