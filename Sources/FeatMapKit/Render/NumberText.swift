import Foundation

/// Short numbers for picture labels, where every character costs six pixels.
enum NumberText {
    /// Integers as such, other values with three significant digits (printf %.3g); the minus sign
    /// is the typographic "−", which the bitmap font draws as wide as the digits.
    static func short(_ v: Float) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "−inf" }
        var s: String
        if v == v.rounded(), abs(v) < 1e6 {
            s = String(Int(v))
        } else {
            s = String(format: "%.3g", Double(v))
        }
        if s.hasPrefix("-") { s = "−" + s.dropFirst() }
        return s
    }
}
