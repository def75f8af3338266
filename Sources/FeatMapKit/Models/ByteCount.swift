import Foundation

/// A number of bytes as people read it: "512 B", "3.4 MiB", "9.0 GiB" (binary units).
public struct ByteCount: CustomStringConvertible, Sendable {
    public var bytes: Int
    public init(_ bytes: Int) { self.bytes = bytes }

    public var description: String {
        if bytes == Int.max { return "more than 8 EiB" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }

    /// Parses "512", "64K", "3.5M", "8G", "2GiB", "1TB" (binary multiples, as --max-memory takes them).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        var digits = t
        var multiplier = 1.0
        for (suffixes, m) in [(["TIB", "TB", "T"], 1024.0 * 1024 * 1024 * 1024), (["GIB", "GB", "G"], 1024.0 * 1024 * 1024),
                              (["MIB", "MB", "M"], 1024.0 * 1024), (["KIB", "KB", "K"], 1024.0), (["B"], 1.0)] {
            if let s = suffixes.first(where: { t.hasSuffix($0) }) { digits = String(t.dropLast(s.count)); multiplier = m; break }
        }
        guard let v = Double(digits.trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0, v * multiplier < 9e18 else { return nil }
        bytes = Int(v * multiplier)
    }
}
