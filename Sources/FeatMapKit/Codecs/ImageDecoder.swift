/// Whole-image decoding: PNG, JPEG or NPY, recognised by content.
public enum ImageDecoder {
    /// Decodes `bytes`; `source` names the file in errors. Samples come out in native units
    /// (0...255, or 0...65535 for 16-bit PNG), JPEGs upright when `options.applyOrientation`.
    public static func decode(_ bytes: [UInt8], source: String, options: DecodeOptions = .init()) throws -> Image {
        try ImageReader(bytes: bytes, source: source, options: options).readImage()
    }

    /// Reads and decodes a file ("-" = standard input).
    public static func decode(path: String, options: DecodeOptions = .init()) throws -> Image {
        try decode(InputFile.read(path), source: CodecError.displayName(path), options: options)
    }
}
