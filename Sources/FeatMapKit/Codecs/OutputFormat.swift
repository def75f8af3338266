/// What to write: PNG at 8 or 16 bits per sample, JPEG at a quality 1…100, or a float32 NPY.
public enum OutputFormat: Equatable, Sendable {
    case png(depth: Int)
    case jpeg(quality: Int)
    case npy

    public static let defaultJPEGQuality = 92

    /// Whether the encoder takes 8-bit samples (8-bit PNG, JPEG).
    public var isEightBitPixels: Bool {
        switch self {
        case .png(let depth): return depth == 8
        case .jpeg: return true
        case .npy: return false
        }
    }

    /// Whether an alpha channel is written (JPEG has none).
    public var keepsAlpha: Bool {
        if case .jpeg = self { return false }
        return true
    }

    /// The format a path's extension asks for; PNG depth follows the image (`depth`).
    public static func forPath(_ path: String, depth: Int = 8, quality: Int = defaultJPEGQuality) -> OutputFormat? {
        switch ImageFormat.fromExtension(path) {
        case .png: return .png(depth: depth)
        case .jpeg: return .jpeg(quality: quality)
        case .npy: return .npy
        case nil: return nil
        }
    }
}
