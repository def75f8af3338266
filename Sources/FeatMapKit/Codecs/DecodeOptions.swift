/// How images are decoded.
public struct DecodeOptions: Sendable, Equatable {
    /// Width × height above which decoding stops, checked from the header before any pixel
    /// buffer is allocated: a 40-byte file can claim 100000×100000 pixels.
    public var maxPixels: Int
    /// Turn JPEGs upright according to their EXIF orientation tag, as photo viewers do.
    public var applyOrientation: Bool

    public static let defaultMaxPixels = 256_000_000

    public init(maxPixels: Int = DecodeOptions.defaultMaxPixels, applyOrientation: Bool = true) {
        self.maxPixels = maxPixels
        self.applyOrientation = applyOrientation
    }
}
