/// What a decoder knows after reading a file's header, before any pixel is decoded.
public struct ImageHeader: Sendable, Equatable {
    /// Size of the image as delivered, i.e. after the EXIF orientation when it is applied.
    public var width: Int
    public var height: Int
    /// Samples per pixel as delivered: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    /// (palettes become RGB/RGBA, CMYK becomes RGB, tRNS becomes alpha).
    public var channels: Int
    /// 8 or 16: the unit of the delivered samples (0...255 or 0...65535).
    public var bitDepth: Int
    public var format: ImageFormat
    /// True when the decoder holds the whole image in memory rather than a band of rows:
    /// interlaced PNG, progressive JPEG, a JPEG turned by its EXIF orientation, NPY.
    public var needsWholeImage: Bool
    /// Bits per sample in the file: 1, 2, 4, 8 or 16 for PNG, 8 for JPEG, 32/64 for NPY floats.
    public var sourceBitDepth: Int
    /// PNG Adam7 interlacing, or a progressive (multi-scan) JPEG.
    public var interlaced: Bool
    /// The EXIF orientation found in the file (`.identity` when none); already applied to
    /// `width`/`height` and the rows when `DecodeOptions.applyOrientation` is set.
    public var orientation: ExifOrientation
    public var orientationApplied: Bool

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, format: ImageFormat,
                needsWholeImage: Bool, sourceBitDepth: Int? = nil, interlaced: Bool = false,
                orientation: ExifOrientation = .identity, orientationApplied: Bool = false) {
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.format = format
        self.needsWholeImage = needsWholeImage
        self.sourceBitDepth = sourceBitDepth ?? bitDepth
        self.interlaced = interlaced
        self.orientation = orientation
        self.orientationApplied = orientationApplied
    }

    public var pixelCount: Int { width * height }
}
