/// What to write: PNG at 8 or 16 bits per sample, JPEG at a quality 1…100, or a float32 NPY.
public enum OutputFormat: Equatable, Sendable {
    case png(depth: Int)
    case jpeg(quality: Int)
    case npy

    public static let defaultJPEGQuality = 90

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
