import ArgumentParser
import FeatMapKit

extension Pair: ExpressibleByArgument {
    /// "N" for both axes or "Y,X".
    public init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        switch parts.count {
        case 1: guard let n = parts[0] else { return nil }; self.init(n, n)
        case 2: guard let y = parts[0], let x = parts[1] else { return nil }; self.init(y, x)
        default: return nil
        }
    }
}

extension BorderMode: ExpressibleByArgument {}
extension ResponseMode: ExpressibleByArgument {}

extension PictureFormat: ExpressibleByArgument {}
