/// The file formats featmap reads and writes. Input is recognised by content (`detect`),
/// output by the extension the user asked for (`fromExtension`).
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, npy

    /// Recognises PNG (‰PNG), JPEG (FF D8 FF) and NumPy (\x93NUMPY) files by their first bytes.
    /// A file cut inside its signature still counts, so that the decoder can call it truncated.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        func starts(with magic: [UInt8], minimum: Int) -> Bool {
            bytes.count >= minimum && zip(bytes, magic).allSatisfy { $0 == $1 }
        }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], minimum: 4) { return .png }
        if starts(with: [0xFF, 0xD8, 0xFF], minimum: 3) { return .jpeg }
        if starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], minimum: 6) { return .npy }
        return nil
    }

    /// .png, .jpg, .jpeg, .npy, in any letter case.
    public static func fromExtension(_ path: String) -> ImageFormat? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        case "npy": return .npy
        default: return nil
        }
    }

    var displayName: String {
        switch self {
        case .png: return "PNG"
        case .jpeg: return "JPEG"
        case .npy: return "NPY"
        }
    }
}
