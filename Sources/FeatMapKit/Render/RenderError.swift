/// Errors of the renderer; each description says what was wrong and what would work instead.
public enum RenderError: Error, Equatable, CustomStringConvertible {
    case unknownColormap(String)
    case invalidNormalization(String)
    case shapeMismatch(String)
    case invalidParameter(String)
    case pictureTooLarge(what: String, width: Int, height: Int)

    public var description: String {
        switch self {
        case .unknownColormap(let name):
            return "unknown colormap '\(name)'; use one of \(Colormap.names.joined(separator: ", "))"
        case .invalidNormalization(let text):
            return "cannot read normalisation '\(text)'; use map (each map its own min..max), layer (one range "
                + "for the whole layer) or fixed:LO,HI with LO < HI, e.g. fixed:-1,1"
        case .shapeMismatch(let s), .invalidParameter(let s):
            return s
        case let .pictureTooLarge(what, width, height):
            return "the \(what) would be \(width)×\(height) pixels, more than \(Canvas.maximumPixels / 1_000_000) million; "
                + "show fewer channels or a smaller crop of the input"
        }
    }
}
